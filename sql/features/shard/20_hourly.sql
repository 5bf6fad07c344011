-- hourly: what each principal did in each hour, counted once for the families that need it. A
-- shard table: activity and sensitive read the hours in [$window_start, $window_end), baseline
-- every hour of the history.
-- Grain: one row per (pid, window_start) with at least one event in [$history_start, $window_end).
-- Columns: n_events, n_apis, n_services, n_regions, write_ratio, error_rate, denied_rate, the
--   count of calls in each sensitive category (n_discovery .. n_remote_execution),
--   n_hostile_agent, n_outside_aws (all of the hour's events); history_events, history_apis,
--   history_error_rate, history_denied_rate (the same hour as a later hour's baseline sees it:
--   without the events inside active findings; history_events = 0 when the whole hour is an
--   incident, whose rates are then NULL).
-- Why: activity, sensitive and the baseline are all per-hour aggregates of the same events: one
-- pass over `calls` instead of three. Rates are sums of counts over the hour's count: avg() of
-- the per-event flags, without a row per event. The hour's own features count every event, an
-- attack's too: only what later hours compare with leaves the incidents out.
CREATE OR REPLACE TEMP TABLE hourly AS
WITH source AS (
    SELECT * FROM calls
),

aggregated AS (
    SELECT
        pid,
        window_start,
        sum(n)::BIGINT AS n_events,
        count(DISTINCT api) AS n_apis,
        count(DISTINCT service) AS n_services,
        count(DISTINCT region) AS n_regions,
        coalesce(sum(n) FILTER (WHERE is_write), 0)::DOUBLE / sum(n)::DOUBLE AS write_ratio,
        coalesce(sum(n) FILTER (WHERE is_error), 0)::DOUBLE / sum(n)::DOUBLE AS error_rate,
        coalesce(sum(n) FILTER (WHERE is_denied), 0)::DOUBLE / sum(n)::DOUBLE AS denied_rate,
        coalesce(sum(n) FILTER (WHERE category = 'discovery'), 0)::BIGINT AS n_discovery,
        coalesce(sum(n) FILTER (WHERE category = 'iam_mutation'), 0)::BIGINT AS n_iam_mutation,
        coalesce(sum(n) FILTER (WHERE category = 'logging_tamper'), 0)::BIGINT AS n_logging_tamper,
        coalesce(sum(n) FILTER (WHERE category = 'credential_access'), 0)::BIGINT AS n_credential_access,
        coalesce(sum(n) FILTER (WHERE category = 'data_sharing'), 0)::BIGINT AS n_data_sharing,
        coalesce(sum(n) FILTER (WHERE category = 'persistence'), 0)::BIGINT AS n_persistence,
        coalesce(sum(n) FILTER (WHERE category = 'compute_launch'), 0)::BIGINT AS n_compute_launch,
        coalesce(sum(n) FILTER (WHERE category = 'remote_execution'), 0)::BIGINT AS n_remote_execution,
        coalesce(sum(n) FILTER (WHERE hostile_ua), 0)::BIGINT AS n_hostile_agent,
        coalesce(sum(n) FILTER (WHERE is_ip AND NOT inside_aws), 0)::BIGINT AS n_outside_aws,
        coalesce(sum(n) FILTER (WHERE NOT in_finding), 0)::BIGINT AS history_events,
        count(DISTINCT api) FILTER (WHERE NOT in_finding) AS history_apis,
        coalesce(sum(n) FILTER (WHERE is_error AND NOT in_finding), 0)::DOUBLE
            / nullif(sum(n) FILTER (WHERE NOT in_finding), 0)::DOUBLE AS history_error_rate,
        coalesce(sum(n) FILTER (WHERE is_denied AND NOT in_finding), 0)::DOUBLE
            / nullif(sum(n) FILTER (WHERE NOT in_finding), 0)::DOUBLE AS history_denied_rate
    FROM source
    GROUP BY pid, window_start
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final;
