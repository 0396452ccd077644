-- Memory: exact token counts per message and tokenizer, what Confab learns about each model,
-- pinned messages, and the sliding window's anchor.

-- A message the user pinned is always sent, even when it is older than the window.
ALTER TABLE messages ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
CREATE INDEX messages_pinned ON messages (conversation_id, id) WHERE pinned = 1;

-- Exact token counts from a server's tokenizer (llama.cpp `/tokenize`). `tokenizer` names the
-- server and model; `content_hash` is the hash of the text that was counted, so a count never
-- outlives an edit of its message.
CREATE TABLE token_counts (
    message_id   INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    tokenizer    TEXT    NOT NULL,
    content_hash INTEGER NOT NULL,
    tokens       INTEGER NOT NULL CHECK (tokens >= 0),
    PRIMARY KEY (message_id, tokenizer)
) WITHOUT ROWID;

-- What Confab has learned about a model (keyed like `token_counts.tokenizer`).
CREATE TABLE model_profiles (
    tokenizer              TEXT PRIMARY KEY NOT NULL,
    -- The context length the user set for this model, when the server does not say.
    context_length         INTEGER CHECK (context_length > 0),
    -- The real context size a "context exceeded" answer revealed.
    learned_n_ctx          INTEGER CHECK (learned_n_ctx > 0),
    -- Calibration of the estimate used where no tokenizer is reachable: UTF-8 bytes per token.
    bytes_per_token        REAL    NOT NULL DEFAULT 3.0 CHECK (bytes_per_token > 0),
    -- Tokens the chat template adds per message, measured from the server's prompt_tokens.
    per_message_overhead   REAL    NOT NULL DEFAULT 8.0 CHECK (per_message_overhead >= 0),
    calibration_samples    INTEGER NOT NULL DEFAULT 0,
    -- The last request's (estimated − actual) / actual prompt tokens, and its running mean of
    -- absolute values: how good the estimate is.
    last_estimate_error    REAL,
    mean_abs_estimate_error REAL,
    updated_at             INTEGER NOT NULL
);

-- Where the sliding-window strategy's window starts. It stays put until the window overflows,
-- then jumps forward by a large step, so consecutive requests share a prefix (prompt cache).
CREATE TABLE memory_windows (
    conversation_id  INTEGER PRIMARY KEY NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    start_message_id INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
