-- The `events` view: every row of the Parquet lake, with its hive partition columns
-- (event_date DATE, account_id VARCHAR). Columns are documented in README.md ("Lake schema").
-- {events_glob} is a glob of the lake's files, or a list of globs (one per account of a shard),
-- quoted as an SQL literal by pipeline/lake/views.py: relative to the lake in the lake's own
-- database (a copied lake reads its own files), absolute in in-memory readers. A view cannot
-- take bind parameters; account folders are names the lake limits to [0-9A-Za-z_-].
CREATE OR REPLACE VIEW events AS
SELECT *
FROM read_parquet(
    {events_glob},
    hive_partitioning = true,
    hive_types = {'event_date': DATE, 'account_id': VARCHAR},
    union_by_name = true
);
