-- changed: the first hour whose history differs between the finding spans of now
-- (`current_spans`, spans.sql) and those the stored feature rows were computed with
-- (`feature_spans`, state.sql); NULL when they are the same.
-- Grain: one row. Columns: window_start.
-- Why: a span added, grown or archived since the last feature run changes the history of the
-- hours from its first event on, and only those: the run recomputes from here (or from its first
-- new event, whichever is earlier), not the whole table. The hour of the span's first event is
-- recomputed too (its own counts do not change, but a late span may start inside an hour).
WITH source AS (
    SELECT principal_key, account_id, first_seen, last_seen FROM current_spans
),

stored AS (
    SELECT principal_key, account_id, first_seen, last_seen FROM feature_spans
),

changed AS (
    (SELECT * FROM source EXCEPT SELECT * FROM stored)
    UNION ALL
    (SELECT * FROM stored EXCEPT SELECT * FROM source)
)

SELECT date_trunc('hour', min(first_seen)) AS window_start FROM changed
