-- hourly: what each principal did in each hour, counted once for the families that need it. A
-- shard table: activity and sensitive read the hours in [$window_start, $window_end), baseline
-- every hour of the history.
-- Grain: one row per (pid, window_start) with at least one event in [$history_start, $window_end).
-- Columns: n_events, n_apis, n_services, n_regions, write_ratio, error_rate, denied_rate, the
--   count of calls in each sensitive category (n_discovery .. n_remote_execution),
--   n_hostile_agent, n_outside_aws.
-- Why: activity, sensitive and the baseline are all per-hour aggregates of the same events: one
-- pass over `enriched` instead of three.
CREATE OR REPLACE TEMP TABLE hourly AS
WITH source AS (
    SELECT * FROM enriched
),

aggregated AS (
    SELECT
        pid,
        window_start,
        count(*) AS n_events,
        count(DISTINCT api) AS n_apis,
        count(DISTINCT service) AS n_services,
        count(DISTINCT region) AS n_regions,
        avg(is_write::INTEGER) AS write_ratio,
        avg(is_error::INTEGER) AS error_rate,
        avg(is_denied::INTEGER) AS denied_rate,
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
    FROM source
    GROUP BY pid, window_start
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final;
