-- Versions of a reply. Regenerating keeps the earlier reply as a hidden version, and the user can
-- switch back; editing the last question sets the replies to it aside the same way.
--
-- A group of versions is named by its first version, the root: every member's `version_of` is the
-- root's id, the root's own included (it points at itself once it has a sibling). A message never
-- regenerated has `version_of` NULL. `hidden` marks the versions not currently chosen: everything
-- that reads the conversation (the view, the model's context, counts, search, the readable
-- exports) sees visible messages only; the lossless JSON export carries all of them.
ALTER TABLE messages ADD COLUMN version_of INTEGER REFERENCES messages (id) ON DELETE CASCADE;
ALTER TABLE messages ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0 CHECK (hidden IN (0, 1));

-- The conversation as it reads: its visible messages in order. Hidden rows are few, but the
-- context builder counts long runs of messages, and this keeps those counts index-only.
CREATE INDEX messages_visible ON messages (conversation_id, id) WHERE hidden = 0;

-- A reply's versions in order; also what the `version_of` foreign key is checked through when
-- messages are deleted with their conversation.
CREATE INDEX messages_versions ON messages (version_of, id) WHERE version_of IS NOT NULL;

-- At most one version of a group is shown: the database refuses a second.
CREATE UNIQUE INDEX messages_one_visible_version ON messages (version_of)
    WHERE version_of IS NOT NULL AND hidden = 0;
