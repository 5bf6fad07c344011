-- The `events` view: every row of the Parquet lake, with its hive partition columns
-- (event_date DATE, account_id VARCHAR). Columns are documented in README.md ("Lake schema").
-- A template, filled by pipeline/lake/views.py with Python's `str.format` (so the SQL's own
-- braces are doubled); a view cannot take bind parameters. Its two fields:
-- {view}: `VIEW`, or `TEMP VIEW` for a connection's temporary view in front of the database's
--   own (`shadow_events_view`).
-- {events_glob}: a glob of the lake's files, or a list of globs (one per account of a shard),
--   quoted as an SQL literal: relative to the lake in the lake's own database (a copied lake
--   reads its own files), absolute in in-memory readers. Account folders are names the lake
--   limits to [0-9A-Za-z_-].
CREATE OR REPLACE {view} events AS
SELECT *
FROM read_parquet(
    {events_glob},
    hive_partitioning = true,
    hive_types = {{'event_date': DATE, 'account_id': VARCHAR}},
    union_by_name = true
);
