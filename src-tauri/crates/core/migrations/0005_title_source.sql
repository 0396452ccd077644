-- Who named a chat, so an automatic title never overwrites the user's:
--   default        nobody yet ("New chat")
--   first_message  taken from the first question, until the model names it
--   model          written by the model in the background after the first reply
--   user           typed by the user, or imported: never replaced
-- Chats from before this migration keep their titles as they are.
ALTER TABLE conversations ADD COLUMN title_source TEXT NOT NULL DEFAULT 'user'
    CHECK (title_source IN ('default', 'first_message', 'model', 'user'));
UPDATE conversations SET title_source = 'default' WHERE title = 'New chat';
