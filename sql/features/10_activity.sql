-- Family: activity. How much a principal did in one hour, how broadly, and how much of it failed.
-- Grain: one row per (pid, window_start) with at least one event in [$window_start,
--   $window_end). This family defines the rows of the feature table. Counted in shard/hourly.sql.
-- Columns: principal_kind (descriptive), n_events, n_apis, n_services, n_regions, write_ratio,
--   error_rate, denied_rate.
-- Why: enumeration touches many APIs and services in a short time, often across regions, and
-- real attacks fail on purpose (AccessDenied while probing permissions); a burst of writes from
-- a principal that mostly reads is how persistence and impact look. Rates, not counts, so a
-- busy workload and a quiet person are comparable.
WITH source AS (
    SELECT * FROM hourly
),

filtered AS (
    SELECT * FROM source
    WHERE window_start >= $window_start AND window_start < $window_end
),

final AS (
    SELECT
        f.pid,
        f.window_start,
        k.principal_kind,
        f.n_events,
        f.n_apis,
        f.n_services,
        f.n_regions,
        f.write_ratio,
        f.error_rate,
        f.denied_rate
    FROM filtered AS f
    JOIN keys AS k USING (pid)
)

SELECT * FROM final
