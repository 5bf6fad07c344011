-- Family: activity. How much a principal did in one hour, how broadly, and how much of it failed.
-- Grain: one row per (principal_key, account_id, window_start) with at least one event in
--   [$window_start, $window_end). This family defines the rows of the feature table.
-- Columns: principal_kind (descriptive), n_events, n_apis, n_services, n_regions, write_ratio,
--   error_rate, denied_rate.
-- Why: enumeration touches many APIs and services in a short time, often across regions, and
-- real attacks fail on purpose (AccessDenied while probing permissions); a burst of writes from
-- a principal that mostly reads is how persistence and impact look. Rates, not counts, so a
-- busy workload and a quiet person are comparable.
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
        any_value(principal_kind) AS principal_kind,
        count(*) AS n_events,
        count(DISTINCT api) AS n_apis,
        count(DISTINCT service) AS n_services,
        count(DISTINCT region) AS n_regions,
        avg(is_write::INTEGER) AS write_ratio,
        avg(is_error::INTEGER) AS error_rate,
        avg(is_denied::INTEGER) AS denied_rate
    FROM filtered
    GROUP BY principal_key, account_id, window_start
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final
