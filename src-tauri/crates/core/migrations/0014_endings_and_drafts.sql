-- How each reply ended, kept as a value; every chat's unsent message; and what nothing uses any more.

-- How a reply ended, as Confab knew it when it ended: the server's reason for a complete reply
-- ('stop', 'length', 'content_filter', 'tool_calls', or 'complete' for another reason or none),
-- 'stopped' by the user, 'interrupted' (the connection was lost, the server went silent, or the
-- stream ended early), 'exited' (Confab stopped while it streamed) or 'failed'. NULL for the
-- user's messages and a reply still streaming. Before this, only the error's text told a stop by
-- the user from a lost connection.
ALTER TABLE messages ADD COLUMN ended TEXT CHECK (ended IN (
    'stop', 'length', 'content_filter', 'tool_calls', 'complete',
    'stopped', 'interrupted', 'exited', 'failed'));

-- The replies saved before: from what was stored then, once. The two texts below are the ones
-- Confab itself wrote for a stop by the user and for a reply left streaming when it stopped.
UPDATE messages SET ended = CASE
    WHEN status = 'complete' AND finish_reason IN ('stop', 'length', 'content_filter', 'tool_calls')
        THEN finish_reason
    WHEN status = 'complete' THEN 'complete'
    WHEN status = 'interrupted' AND error = 'stopped by you' THEN 'stopped'
    WHEN status = 'interrupted'
        AND error = 'Confab stopped before this reply finished; the text received so far is kept'
        THEN 'exited'
    WHEN status = 'interrupted' THEN 'interrupted'
    WHEN status = 'error' THEN 'failed'
END
WHERE role = 'assistant' AND status <> 'streaming';

-- What the user was writing in each chat and has not sent: kept across restarts, removed when the
-- message is sent (in the same transaction), cleared, or its chat deleted.
CREATE TABLE drafts (
    conversation_id INTEGER PRIMARY KEY NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    text            TEXT    NOT NULL,
    updated_at      INTEGER NOT NULL
);

-- The files waiting in a draft, in their order, with their bytes: a pasted image has no file to
-- attach again, and a dropped one may have moved. Kept apart from `attachment_blobs`, which hold
-- what was sent.
CREATE TABLE draft_files (
    conversation_id INTEGER NOT NULL REFERENCES drafts (conversation_id) ON DELETE CASCADE,
    position        INTEGER NOT NULL CHECK (position >= 0),
    name            TEXT    NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('text', 'image')),
    mime            TEXT    NOT NULL,
    bytes           BLOB    NOT NULL,
    PRIMARY KEY (conversation_id, position)
);

-- Recall once counted a word's messages through this view of the word index (migration 0010); it
-- counts them in the index itself now, and nothing reads the view.
DROP TABLE messages_words_vocab;
