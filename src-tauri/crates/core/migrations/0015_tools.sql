-- Tools: MCP servers, the tool definitions the user approved, what is allowed without asking, and
-- every call a model made.
--
-- A server runs only while its state is 'approved' and its definition hashes to `approved_hash`:
-- the SHA-256 of what the user saw (the command, its arguments, the environment's names and the
-- working folder, or the URL and the headers' names). Header values are secrets and live in the
-- OS keyring, never here. Environment values are stored (the user typed them; they are shown).
CREATE TABLE tool_servers (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    name_key      TEXT    NOT NULL UNIQUE,
    transport     TEXT    NOT NULL CHECK (transport IN ('stdio', 'http')),
    command       TEXT,
    args          TEXT    NOT NULL DEFAULT '[]',
    env           TEXT    NOT NULL DEFAULT '{}',
    cwd           TEXT,
    url           TEXT,
    headers       TEXT    NOT NULL DEFAULT '[]',
    state         TEXT    NOT NULL CHECK (state IN ('approved', 'needs_approval', 'off')),
    approved_hash TEXT,
    timeout_secs  INTEGER NOT NULL DEFAULT 60 CHECK (timeout_secs BETWEEN 1 AND 3600),
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    CHECK ((transport = 'stdio' AND command IS NOT NULL) OR (transport = 'http' AND url IS NOT NULL))
);

-- A server's tools as pinned when approved (name, description, input schema, annotations) and,
-- when the server now offers something else under that name, the changed definition waiting for
-- approval. A tool never approved has no pinned description (NULL) and only a pending one.
CREATE TABLE tool_definitions (
    server_id            INTEGER NOT NULL REFERENCES tool_servers (id) ON DELETE CASCADE,
    name                 TEXT    NOT NULL,
    description          TEXT,
    input_schema         TEXT,
    annotations          TEXT,
    hash                 TEXT,
    pending_description  TEXT,
    pending_input_schema TEXT,
    pending_annotations  TEXT,
    pending_hash         TEXT,
    -- Whether the server still offers it (a tool that went away keeps its pin, in case it returns).
    offered              INTEGER NOT NULL DEFAULT 1 CHECK (offered IN (0, 1)),
    updated_at           INTEGER NOT NULL,
    PRIMARY KEY (server_id, name),
    CHECK (hash IS NOT NULL OR pending_hash IS NOT NULL)
) WITHOUT ROWID;

-- What runs without asking: a tool in one chat ("Allow in this chat"), or everywhere ("Always
-- allow", NULL conversation), for the definition it was allowed with (a changed tool asks again).
CREATE TABLE tool_allowances (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    server_id       INTEGER NOT NULL REFERENCES tool_servers (id) ON DELETE CASCADE,
    tool            TEXT    NOT NULL,
    conversation_id INTEGER REFERENCES conversations (id) ON DELETE CASCADE,
    tool_hash       TEXT    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX tool_allowances_once ON tool_allowances (server_id, tool, ifnull(conversation_id, 0));

-- Which servers' tools a chat or a project offers the model: a JSON array of server ids; NULL on a
-- chat means its project's (and none outside a project).
ALTER TABLE conversations ADD COLUMN tool_servers TEXT;
ALTER TABLE projects ADD COLUMN tool_servers TEXT;

-- Every call a model asked for, under the assistant message that asked, in the order asked: what
-- it named, the arguments as sent, what the user decided, and the result (text up to 1 MiB, with
-- its whole size). Server and tool are the names at the time, so the record outlives the server.
CREATE TABLE tool_calls (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL CHECK (position >= 0),
    call_id       TEXT    NOT NULL,
    function_name TEXT    NOT NULL,
    server        TEXT,
    tool          TEXT,
    arguments     TEXT    NOT NULL,
    decision      TEXT    NOT NULL CHECK (decision IN ('pending', 'allowed_once', 'allowed_chat',
                      'allowed_always', 'denied', 'invalid', 'cancelled')),
    reason        TEXT,
    result        TEXT,
    result_bytes  INTEGER CHECK (result_bytes >= 0),
    is_error      INTEGER NOT NULL DEFAULT 0 CHECK (is_error IN (0, 1)),
    requested_at  INTEGER NOT NULL,
    decided_at    INTEGER,
    started_at    INTEGER,
    finished_at   INTEGER,
    UNIQUE (message_id, position)
);

-- The images a call's result carried (MCP `image` content, checked to be a PNG, JPEG, WebP or
-- GIF), sent after the results to a model that takes images; their names stay in the result's
-- text for one that does not.
CREATE TABLE tool_result_images (
    call_id  INTEGER NOT NULL REFERENCES tool_calls (id) ON DELETE CASCADE,
    position INTEGER NOT NULL CHECK (position >= 0),
    mime     TEXT    NOT NULL,
    bytes    BLOB    NOT NULL,
    PRIMARY KEY (call_id, position)
);

-- Search finds text in tool results too (shown as tool output), through indexes like the
-- messages' own: words (unicode61, BM25, prefixes) and trigrams. A call has a result only once it
-- ran, so only rows with one are indexed.
CREATE VIRTUAL TABLE tool_results_words USING fts5 (
    result,
    content = 'tool_calls',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE VIRTUAL TABLE tool_results_fts USING fts5 (
    result,
    content = 'tool_calls',
    content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER tool_results_insert AFTER INSERT ON tool_calls WHEN new.result IS NOT NULL BEGIN
    INSERT INTO tool_results_words (rowid, result) VALUES (new.id, new.result);
    INSERT INTO tool_results_fts (rowid, result) VALUES (new.id, new.result);
END;

CREATE TRIGGER tool_results_delete AFTER DELETE ON tool_calls WHEN old.result IS NOT NULL BEGIN
    INSERT INTO tool_results_words (tool_results_words, rowid, result) VALUES ('delete', old.id, old.result);
    INSERT INTO tool_results_fts (tool_results_fts, rowid, result) VALUES ('delete', old.id, old.result);
END;

CREATE TRIGGER tool_results_update_old AFTER UPDATE OF result ON tool_calls
WHEN old.result IS NOT NULL AND old.result IS NOT new.result BEGIN
    INSERT INTO tool_results_words (tool_results_words, rowid, result) VALUES ('delete', old.id, old.result);
    INSERT INTO tool_results_fts (tool_results_fts, rowid, result) VALUES ('delete', old.id, old.result);
END;

CREATE TRIGGER tool_results_update_new AFTER UPDATE OF result ON tool_calls
WHEN new.result IS NOT NULL AND old.result IS NOT new.result BEGIN
    INSERT INTO tool_results_words (rowid, result) VALUES (new.id, new.result);
    INSERT INTO tool_results_fts (rowid, result) VALUES (new.id, new.result);
END;
