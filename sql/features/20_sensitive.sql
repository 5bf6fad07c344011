-- Family: sensitive categories. Calls per hour in each category attackers need and daily work
-- rarely touches (sql/reference/api_categories.csv), and calls made with an attack tool's agent.
-- Grain: one row per (principal_key, account_id, window_start) with events in the range.
-- Columns: n_discovery, n_iam_mutation, n_logging_tamper, n_credential_access, n_data_sharing,
--   n_persistence, n_compute_launch, n_remote_execution, n_hostile_agent, n_outside_aws.
-- Why: an anomaly nobody can name is noise; counting calls by purpose (discovery, IAM changes,
-- turning logging off, reading secrets, sharing data out, launching compute, running commands on
-- instances) lets the finding
-- say what the unusual behaviour was for, and picks its GuardDuty-style type.
-- n_outside_aws counts calls from addresses outside AWS's networks: for a workload role that is
-- the shape of stolen instance credentials.
WITH source AS (
    SELECT * FROM enriched
),

filtered AS (
    SELECT * FROM source
    WHERE window_start >= $window_start AND window_start < $window_end
),

aggregated AS (
    SELECT
        principal_key,
        account_id,
        window_start,
        count(*) FILTER (WHERE category = 'discovery') AS n_discovery,
        count(*) FILTER (WHERE category = 'iam_mutation') AS n_iam_mutation,
        count(*) FILTER (WHERE category = 'logging_tamper') AS n_logging_tamper,
        count(*) FILTER (WHERE category = 'credential_access') AS n_credential_access,
        count(*) FILTER (WHERE category = 'data_sharing') AS n_data_sharing,
        count(*) FILTER (WHERE category = 'persistence') AS n_persistence,
        count(*) FILTER (WHERE category = 'compute_launch') AS n_compute_launch,
        count(*) FILTER (WHERE category = 'remote_execution') AS n_remote_execution,
        count(*) FILTER (WHERE hostile_ua) AS n_hostile_agent,
        count(*) FILTER (WHERE is_ip AND NOT inside_aws) AS n_outside_aws
    FROM filtered
    GROUP BY principal_key, account_id, window_start
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final
