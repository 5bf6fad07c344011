-- profiles: who each principal is, for choosing its peer group. A gathered table: every shard
-- sends its rows to peers/, which sees the whole organisation's.
-- Grain: one row per (principal_key, account_id) with events in [$history_start, $window_end).
-- Columns: since (first hour with an event), peer_hint, role_family, ua_family (the dominant
--   agent family).
-- Why: a principal's events all live in its account's partitions, so a shard of whole accounts
-- holds all of them and computes the same row as the whole lake would.
CREATE OR REPLACE TEMP TABLE profiles AS
WITH source AS (
    SELECT * FROM enriched
),

final AS (
    SELECT
        principal_key,
        account_id,
        min(window_start) AS since,
        any_value(peer_hint) AS peer_hint,
        any_value(role_family) AS role_family,
        -- On a tie, the first family by name: mode() alone takes whichever the scan met first,
        -- so a rerun (or another shard) could put the principal in another peer group.
        mode(ua_family ORDER BY ua_family) AS ua_family
    FROM source
    GROUP BY principal_key, account_id
)

SELECT * FROM final;
