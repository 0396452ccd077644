-- Recall: an embedding vector per message, made by an embedding model (`/v1/embeddings`), so that
-- earlier messages similar in meaning to a new one can be found. One vector per message, from the
-- model last used: a change of model replaces them as the indexer goes.
--
-- `id` only grows (AUTOINCREMENT), also when a vector is replaced, so a reader that has loaded a
-- chat's vectors up to some id reads just the newer rows next time.
CREATE TABLE message_vectors (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    -- The conversation, so a chat's vectors are read without touching its messages.
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    -- Which model made it: "<server root>#<model id>".
    model TEXT NOT NULL,
    dims INTEGER NOT NULL,
    -- The 64-bit FNV-1a hash of the text it was made from.
    content_hash INTEGER NOT NULL,
    -- The unit-length vector, each component × 127 rounded to a signed byte.
    vector BLOB NOT NULL
);

CREATE INDEX message_vectors_by_chat ON message_vectors (conversation_id, model, id);
CREATE INDEX message_vectors_by_model ON message_vectors (model);

-- A message whose text changes (an edit, a continued reply) loses its vector: the indexer makes a
-- new one.
CREATE TRIGGER message_vectors_stale AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    DELETE FROM message_vectors WHERE message_id = new.id;
END;
