-- own_first: the first hour a principal showed each value. A gathered table: novelty reads the
-- shard's rows, peers/ the whole organisation's.
-- Grain: one row per (principal_key, account_id, dim, value).
-- Columns: pid (plan/30_keys.sql), first_window.
-- Why: "new for the principal" is its own first sighting; "new for its peer group" is the
-- earliest first sighting of any member, wherever that member's account is.
CREATE OR REPLACE TEMP TABLE own_first AS
WITH aggregated AS (
    SELECT pid, dim, value, min(window_start) AS first_window
    FROM sightings
    GROUP BY pid, dim, value
)

SELECT k.principal_key, k.account_id, a.dim, a.value, a.pid, a.first_window
FROM aggregated AS a
JOIN keys AS k USING (pid);
