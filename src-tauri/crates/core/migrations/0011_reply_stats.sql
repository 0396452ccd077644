-- How a reply was produced, shown under it: milliseconds from sending the request to the first
-- token, milliseconds of generation after it, tokens per second, the server's prompt-processing
-- speed (llama.cpp reports it) and how many prompt tokens the server had cached.
-- `stats_from_server` lists, space-separated, which of 'first_token', 'generation' and 'speed'
-- the server reported (llama.cpp's `timings`); the others were measured by Confab. NULL
-- everywhere for replies saved before this column, or that never got a token.
ALTER TABLE messages ADD COLUMN first_token_ms INTEGER;
ALTER TABLE messages ADD COLUMN generation_ms INTEGER;
ALTER TABLE messages ADD COLUMN tokens_per_second REAL;
ALTER TABLE messages ADD COLUMN prompt_per_second REAL;
ALTER TABLE messages ADD COLUMN cached_tokens INTEGER;
ALTER TABLE messages ADD COLUMN stats_from_server TEXT;
