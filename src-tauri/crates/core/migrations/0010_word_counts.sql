-- How many messages have each word: FTS5's own vocabulary table over the word index (it stores
-- nothing). Recall looks its query words up here and leaves out the ones most messages have,
-- which would only make the search slow and the ranking noisy.
CREATE VIRTUAL TABLE messages_words_vocab USING fts5vocab ('messages_words', 'row');
