-- Confab's first schema. Timestamps are INTEGER milliseconds since the Unix epoch (UTC).
-- Migrations are additive: never edit this file once it has landed; add a new one.

CREATE TABLE conversations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    title         TEXT    NOT NULL,
    system_prompt TEXT    NOT NULL DEFAULT '',
    model         TEXT,
    params        TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(params)),
    created_at    INTEGER NOT NULL,
    -- Last activity: creation, a new or finished message, a rename.
    updated_at    INTEGER NOT NULL,
    pinned        INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1)),
    archived      INTEGER NOT NULL DEFAULT 0 CHECK (archived IN (0, 1))
);

-- The sidebar's order: pinned first, then most recently active; keyset-paged on (updated_at, id).
CREATE INDEX conversations_by_activity ON conversations (archived, pinned DESC, updated_at DESC, id DESC);

CREATE TABLE messages (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id   INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    role              TEXT    NOT NULL CHECK (role IN ('system', 'user', 'assistant')),
    content           TEXT    NOT NULL,
    status            TEXT    NOT NULL CHECK (status IN ('complete', 'streaming', 'interrupted', 'error')),
    error             TEXT,
    model             TEXT,
    prompt_tokens     INTEGER,
    completion_tokens INTEGER,
    created_at        INTEGER NOT NULL,
    completed_at      INTEGER
);

CREATE INDEX messages_by_conversation ON messages (conversation_id, id);
-- Start-up recovery finds replies a crash left streaming without scanning every message.
CREATE INDEX messages_streaming ON messages (status) WHERE status = 'streaming';

CREATE TABLE summaries (
    id                        INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id           INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    content                   TEXT    NOT NULL,
    -- The newest message folded into this summary. Messages are deleted only with their
    -- conversation (which cascades here first), so this reference never dangles.
    covers_through_message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    token_count               INTEGER,
    model                     TEXT,
    created_at                INTEGER NOT NULL,
    edited_by_user            INTEGER NOT NULL DEFAULT 0 CHECK (edited_by_user IN (0, 1))
);

CREATE INDEX summaries_by_conversation ON summaries (conversation_id, id);

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL CHECK (json_valid(value)),
    updated_at INTEGER NOT NULL
);

-- Full-text search over message content. The trigram tokenizer matches any substring of three or
-- more characters in any script (German, Cyrillic, CJK alike) and is case-insensitive.
CREATE VIRTUAL TABLE messages_fts USING fts5 (
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'trigram'
);

CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
END;

-- Only when the text really changed: status-only updates stay cheap.
CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_fts (rowid, content) VALUES (new.id, new.content);
END;
