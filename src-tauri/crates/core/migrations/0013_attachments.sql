-- Files attached to user messages.
--
-- The bytes are content-addressed: a blob's key is the SHA-256 of its bytes (lower-case hex), so
-- the same image attached twice, in one chat or in many, is stored once. A link names the blob
-- from one message, with the name the file had, its kind and its place among the message's
-- attachments. A text file's text also goes into the message itself (fenced, with its name), so
-- the model and search see it; its blob is kept so that the chip and the exports can name it.
CREATE TABLE attachment_blobs (
    sha256 TEXT    PRIMARY KEY NOT NULL CHECK (length(sha256) = 64),
    mime   TEXT    NOT NULL,
    size   INTEGER NOT NULL CHECK (size >= 0),
    bytes  BLOB    NOT NULL
);

CREATE TABLE message_attachments (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL CHECK (position >= 0),
    name       TEXT    NOT NULL,
    kind       TEXT    NOT NULL CHECK (kind IN ('text', 'image')),
    sha256     TEXT    NOT NULL REFERENCES attachment_blobs (sha256),
    UNIQUE (message_id, position)
);

-- Whether a blob is still used, when a link goes.
CREATE INDEX message_attachments_by_blob ON message_attachments (sha256);

-- A blob goes with the last link to it (a deleted conversation cascades to its messages and
-- their links, and SQLite fires this trigger for those cascaded deletes too).
CREATE TRIGGER attachment_blobs_collect AFTER DELETE ON message_attachments
WHEN NOT EXISTS (SELECT 1 FROM message_attachments WHERE sha256 = old.sha256) BEGIN
    DELETE FROM attachment_blobs WHERE sha256 = old.sha256;
END;

-- The user's word on whether a model takes images, for servers that do not say (NULL: not set).
ALTER TABLE model_profiles ADD COLUMN vision INTEGER CHECK (vision IN (0, 1));
