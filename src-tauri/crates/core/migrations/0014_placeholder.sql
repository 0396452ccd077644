-- PLACEHOLDER for the 0014 migration another branch adds in parallel; dropped when merging.
SELECT 1;
