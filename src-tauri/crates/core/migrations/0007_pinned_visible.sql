-- Every request's context reads the conversation's visible pinned messages. With two partial
-- indexes that fit that query (pinned ones from 0002, visible ones from 0003), SQLite chose the
-- visible one and read the whole conversation: the context cost grew with the history. The pinned
-- index now covers exactly that query, so SQLite reads only the pins.
DROP INDEX messages_pinned;
CREATE INDEX messages_pinned ON messages (conversation_id, id) WHERE pinned = 1 AND hidden = 0;
