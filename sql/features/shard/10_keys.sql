-- keys: the shard's principals, each with a small integer id the other shard tables use instead
-- of the (principal_key, account_id) pair. A shard table.
-- Grain: one row per (principal_key, account_id) with an event in [$history_start, $window_end)
--   (CloudTrail-internal AwsServiceEvent records excluded, as in enriched).
-- Columns: pid (1..n, in key order), principal_key, account_id, principal_kind,
--   session_issuer_name.
-- Why: every table below groups or joins by principal, millions of times; an integer is hashed and
--   compared far faster than a long ARN and an account number. Kind and issuer are properties of
--   the principal (its key is built from them), so they are kept here once, not on every event.
CREATE OR REPLACE TEMP TABLE keys AS
WITH filtered AS (
    SELECT principal_key, account_id, principal_kind, session_issuer_name
    FROM events
    WHERE event_time >= $history_start AND event_time < $window_end
        AND coalesce(event_type, 'AwsApiCall') <> 'AwsServiceEvent'
),

aggregated AS (
    SELECT
        principal_key,
        account_id,
        any_value(principal_kind) AS principal_kind,
        any_value(session_issuer_name) AS session_issuer_name
    FROM filtered
    GROUP BY principal_key, account_id
),

final AS (
    SELECT
        row_number() OVER (ORDER BY principal_key, account_id)::INTEGER AS pid,
        *
    FROM aggregated
)

SELECT * FROM final;
