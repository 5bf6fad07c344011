-- The candidate events of one counting rule (@threshold_rule): its prefilter over counted_index
-- (counted_index.sql: the rows of rule_index of the counting rules' event names), and
-- of those only the events lying in a window of $window whose events could carry the rule's
-- $count of distinct keys: an event of a batch API ($batched: the names carrying up to
-- $per_event keys; empty = every name) counts $per_event, any other one. Python then counts the
-- keys themselves (models/registry.py, pipeline/detect/rule_windows.py).
-- When the rule's keys come from the request ($by_request), identical requests carry identical
-- keys, so distinct requests are counted rather than events: the same few secrets or parameters
-- read all day by a workload never reach the count, and their events are not fetched at all.
-- Grain: one row per event: its id, partition (event_date, account_id) and what the rule's key
-- function reads (the columns of an Event row; rule_index.sql keeps them for counted names).
-- Parameters: $since (events at or after it; all when NULL), $event_names, $identity_types
-- (lists of text; empty = any), $workloads_only and $workloads as in rule_candidates.sql,
-- $window (an interval), $count and $per_event (integers), $batched (a list of text),
-- $by_request (a boolean).
-- Dense windows are merged into spans per principal before the events are joined back (a join
-- on every dense point would grow with the square of a busy principal's events).
WITH source AS (
    SELECT
        event_id,
        event_date,
        account_id,
        event_time,
        principal_key,
        event_name_base,
        identity_type,
        session_name,
        source_ip_address,
        source_is_ip,
        counted,
        CASE WHEN $by_request THEN request_hash ELSE hash(event_id) END AS request_key,
        len($batched) = 0 OR list_contains($batched, event_name_base) AS batch
    FROM counted_index
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

bounded AS (
    SELECT
        *,
        count(DISTINCT request_key) FILTER (WHERE NOT batch) OVER recent
        + $per_event * count(DISTINCT request_key) FILTER (WHERE batch) OVER recent AS bound
    FROM source
    WINDOW recent AS (
        PARTITION BY principal_key, account_id ORDER BY event_time
        RANGE BETWEEN $window PRECEDING AND CURRENT ROW
    )
),

dense AS (
    SELECT principal_key, account_id, event_time - $window AS span_start, event_time AS span_end
    FROM bounded
    WHERE bound >= $count
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

SELECT DISTINCT ON (c.event_id)
    c.event_id,
    c.event_date,
    c.account_id,
    c.event_time,
    c.principal_key,
    c.event_name_base,
    c.identity_type,
    c.session_name,
    c.source_ip_address,
    c.source_is_ip,
    unnest(c.counted)
FROM bounded AS c
JOIN spans AS s
    ON c.principal_key = s.principal_key
    AND c.account_id = s.account_id
    AND c.event_time BETWEEN s.span_start AND s.span_end;
