-- own_first: the first hour a principal showed each value outside an active finding. A gathered
-- table: novelty reads the shard's rows, peers/ the whole organisation's.
-- Grain: one row per (principal_key, account_id, dim, value) sighted outside every finding.
-- Columns: pid (plan/30_keys.sql), first_window.
-- Why: "new for the principal" is its own first sighting; "new for its peer group" is the
-- earliest first sighting of any member, wherever that member's account is. Only sightings
-- `in_history` count (shard/sightings.sql): after a principal's StopLogging was itself a finding,
-- its next StopLogging is still new, and a value only an incident showed has no row here.
CREATE OR REPLACE TEMP TABLE own_first AS
WITH filtered AS (
    SELECT * FROM sightings
    WHERE in_history
),

aggregated AS (
    SELECT pid, dim, value, min(window_start) AS first_window
    FROM filtered
    GROUP BY pid, dim, value
)

SELECT k.principal_key, k.account_id, a.dim, a.value, a.pid, a.first_window
FROM aggregated AS a
JOIN keys AS k USING (pid);
