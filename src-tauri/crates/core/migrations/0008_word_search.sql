-- Word search. The trigram index of 0001 matches substrings but cannot find words under three
-- characters ("Go", "C#", "UI") and ranks poorly for words. This index splits text into words
-- with the unicode61 tokenizer (letters and digits of any script; case and diacritics folded, so
-- "resume" finds "Résumé"), is ranked with BM25, and keeps prefix indexes of 2 and 3 characters
-- so a search as you type matches the word being typed. Both indexes follow the messages table.
CREATE VIRTUAL TABLE messages_words USING fts5 (
    content,
    content = 'messages',
    content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER messages_words_insert AFTER INSERT ON messages BEGIN
    INSERT INTO messages_words (rowid, content) VALUES (new.id, new.content);
END;

CREATE TRIGGER messages_words_delete AFTER DELETE ON messages BEGIN
    INSERT INTO messages_words (messages_words, rowid, content) VALUES ('delete', old.id, old.content);
END;

CREATE TRIGGER messages_words_update AFTER UPDATE OF content ON messages
WHEN old.content IS NOT new.content BEGIN
    INSERT INTO messages_words (messages_words, rowid, content) VALUES ('delete', old.id, old.content);
    INSERT INTO messages_words (rowid, content) VALUES (new.id, new.content);
END;

-- Every message written before this version.
INSERT INTO messages_words (messages_words) VALUES ('rebuild');
