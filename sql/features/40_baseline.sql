-- Family: deviation from the principal's own baseline. This hour against the principal's active
-- hours of the trailing $baseline_days (excluding this hour), counted without the events inside
-- active Medium and High findings (sql/features/findings/spans.sql).
-- Grain: one row per (pid, window_start) with events in the range (hours from shard/hourly.sql).
-- Columns: events_vs_baseline (log ratio of events to the baseline mean), apis_vs_baseline
--   (same for distinct APIs), error_rate_delta and denied_rate_delta (rate minus baseline rate),
--   ctx_baseline_hours (active hours the baseline rests on).
-- Why: a misconfigured workload produces the same AccessDenied every few minutes for months: its
-- error rate is only anomalous against its own history, and so is a busy service's volume. A
-- principal without a baseline gets 0 (no deviation) rather than an invented one. An attack's
-- hours are not normal: counted in the baseline, a burst that was a finding makes the next
-- burst look ordinary. The baseline hours are the `history_*` columns of shard/hourly.sql (an
-- hour that was wholly an incident is no baseline hour); this hour's own counts are all of its
-- events, incident or not. Archived findings (benign) and Low ones stay in the baseline.
WITH source AS (
    SELECT
        pid,
        window_start,
        n_events AS n,
        n_apis AS apis,
        error_rate AS err,
        denied_rate AS denied,
        history_events > 0 AS in_history,
        history_events AS history_n,
        history_apis,
        history_error_rate AS history_err,
        history_denied_rate AS history_denied
    FROM hourly
),

aggregated AS (
    SELECT
        *,
        count(*) FILTER (WHERE in_history) OVER history AS base_hours,
        avg(history_n) FILTER (WHERE in_history) OVER history AS base_n,
        avg(history_apis) FILTER (WHERE in_history) OVER history AS base_apis,
        -- Rates summed as exact decimals: a sum of doubles depends on which other principals
        -- share DuckDB's window partition (another shard, an incremental run); this does not.
        avg(history_err::DECIMAL(38, 30)) FILTER (WHERE in_history) OVER history AS base_err,
        avg(history_denied::DECIMAL(38, 30)) FILTER (WHERE in_history) OVER history
            AS base_denied
    FROM source
    WINDOW history AS (
        PARTITION BY pid
        ORDER BY window_start
        RANGE BETWEEN $baseline PRECEDING AND INTERVAL 1 HOUR PRECEDING
    )
),

filtered AS (
    SELECT * FROM aggregated
    WHERE window_start >= $window_start AND window_start < $window_end
),

final AS (
    SELECT
        pid,
        window_start,
        coalesce(ln((n + 1) / (base_n + 1)), 0) AS events_vs_baseline,
        coalesce(ln((apis + 1) / (base_apis + 1)), 0) AS apis_vs_baseline,
        coalesce(err - base_err, 0) AS error_rate_delta,
        coalesce(denied - base_denied, 0) AS denied_rate_delta,
        base_hours AS ctx_baseline_hours
    FROM filtered
)

SELECT * FROM final
