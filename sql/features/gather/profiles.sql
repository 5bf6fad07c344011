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

aggregated AS (
    SELECT
        pid,
        min(window_start) AS since,
        -- On a tie, the first family by name: mode() alone takes whichever the scan met first,
        -- so a rerun (or another shard) could put the principal in another peer group.
        mode(ua_family ORDER BY ua_family) AS ua_family
    FROM source
    GROUP BY pid
),

final AS (
    SELECT
        k.principal_key,
        k.account_id,
        a.since,
        CASE
            WHEN k.principal_kind = 'role_session' AND k.session_issuer_name LIKE 'AWSReservedSSO_%'
                THEN 'sso:' || regexp_replace(
                    k.session_issuer_name, '^AWSReservedSSO_(.*)_[0-9a-f]+$', '\1'
                )
            ELSE k.principal_kind
        END AS peer_hint,
        -- The role's family: its name without a generated suffix (a number, a hash, a
        -- CloudFormation id), so `github-actions-deploy-348` in one account and `-632` in another,
        -- or the same StackSet role in every account, are one family.
        CASE
            WHEN k.principal_kind IN ('role', 'role_session')
                AND NOT coalesce(k.session_issuer_name LIKE 'AWSReservedSSO_%', false)
                THEN regexp_replace(
                    k.session_issuer_name, '[-_]([0-9]+|[0-9a-f]{8,}|[A-Z0-9]{12,13})$', ''
                )
        END AS role_family,
        a.ua_family
    FROM aggregated AS a
    JOIN keys AS k USING (pid)
)

SELECT * FROM final;
