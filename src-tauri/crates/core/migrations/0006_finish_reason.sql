-- Why the model stopped a finished reply, as the server said: 'stop', 'length' (the reply hit its
-- token limit: it can be continued), 'content_filter', 'tool_calls' or the server's own word.
-- NULL when the server did not say, the reply was cut off, or it was saved before this column.
ALTER TABLE messages ADD COLUMN finish_reason TEXT;
