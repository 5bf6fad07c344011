-- profiles: who each principal is, for choosing its peer group. A gathered table: every shard
-- sends its rows to peers/, which sees the whole organisation's.
-- Grain: one row per (principal_key, account_id) with events in [$history_start, $window_end).
-- Columns: since (first hour with an event), peer_hint, role_family, ua_family (the dominant
--   agent family).
-- Why: a principal's events all live in its account's partitions, so a shard of whole accounts
-- holds all of them and computes the same row as the whole lake would.
CREATE OR REPLACE TEMP TABLE profiles AS
WITH source AS (
    SELECT * FROM calls
),

agents AS (
    SELECT pid, ua_family, sum(n) AS events, min(window_start) AS since
    FROM source
    GROUP BY pid, ua_family
),

aggregated AS (
    SELECT
        pid,
        min(since) AS since,
        -- The dominant family; on a tie, the first by name (the same principal must land in the
        -- same peer group on a rerun, in another shard, whatever order the events were read in).
        first(ua_family ORDER BY events DESC, ua_family) AS ua_family
    FROM agents
    GROUP BY pid
),

final AS (
    SELECT
        k.principal_key,
        k.account_id,
        a.since,
        peer_hint(k.principal_kind, k.session_issuer_name) AS peer_hint,
        role_family(k.principal_kind, k.session_issuer_name) AS role_family,
        a.ua_family
    FROM aggregated AS a
    JOIN keys AS k USING (pid)
)

SELECT * FROM final;
