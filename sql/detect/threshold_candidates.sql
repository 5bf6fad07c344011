-- The candidate events of one counting rule (@threshold_rule): its prefilter over rule_index, and
-- of those only the events lying in a window of $window in which the principal made at least
-- $min_events of them (fewer cannot carry the rule's count of distinct keys). Python then counts
-- the keys (models/registry.py, pipeline/detect/rule_windows.py).
-- Grain: one row per event (event_id, and its partition: event_date, account_id).
-- Parameters: $since (events at or after it; all when NULL), $event_names, $identity_types
-- (lists of text; empty = any), $workloads_only and $workloads as in rule_candidates.sql,
-- $window (an interval), $min_events (an integer).
-- Dense windows are merged into spans per principal before the events are joined back (a join
-- on every dense point would grow with the square of a busy principal's events).
WITH source AS (
    SELECT event_id, event_date, account_id, event_time, principal_key
    FROM rule_index
    WHERE ($since IS NULL OR event_time >= $since)
      AND event_name_base IN (SELECT unnest($event_names))
      AND (len($identity_types) = 0 OR list_contains($identity_types, identity_type))
      AND (
          NOT $workloads_only
          OR regexp_matches(session_name, '^i-[0-9a-f]{8,17}$')
          OR principal_key IN (SELECT unnest($workloads))
          OR session_issuer_arn IN (SELECT unnest($workloads))
      )
),

counted AS (
    SELECT
        *,
        count(*) OVER (
            PARTITION BY principal_key, account_id ORDER BY event_time
            RANGE BETWEEN $window PRECEDING AND CURRENT ROW
        ) AS in_window
    FROM source
),

dense AS (
    SELECT principal_key, account_id, event_time - $window AS span_start, event_time AS span_end
    FROM counted
    WHERE in_window >= $min_events
),

islands AS (
    SELECT
        *,
        sum(new_span) OVER (
            PARTITION BY principal_key, account_id ORDER BY span_start ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM (
        SELECT
            *,
            CASE
                WHEN span_start <= max(span_end) OVER (
                    PARTITION BY principal_key, account_id ORDER BY span_start
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
                ) THEN 0
                ELSE 1
            END AS new_span
        FROM dense
    )
),

spans AS (
    SELECT principal_key, account_id, min(span_start) AS span_start, max(span_end) AS span_end
    FROM islands
    GROUP BY principal_key, account_id, island
)

SELECT DISTINCT c.event_id, c.event_date, c.account_id
FROM counted AS c
JOIN spans AS s
    ON c.principal_key = s.principal_key
    AND c.account_id = s.account_id
    AND c.event_time BETWEEN s.span_start AND s.span_end;
