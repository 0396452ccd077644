-- The model's reasoning ("thinking") text that came with a reply, kept beside it: shown folded
-- in the app, exported with the reply, never sent back to the model.
ALTER TABLE messages ADD COLUMN reasoning TEXT NOT NULL DEFAULT '';
