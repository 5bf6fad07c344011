-- The hours a feature run recomputes: from the earliest hour of any event ingested after
-- $cursor (all events when $cursor is NULL; late events pull the start back) to the end of the
-- newest hour, and the newest ingested_at (the next cursor).
SELECT
    min(date_trunc('hour', event_time)) FILTER (
        WHERE $cursor IS NULL OR ingested_at > $cursor
    ) AS window_start,
    max(date_trunc('hour', event_time)) + INTERVAL 1 HOUR AS window_end,
    max(ingested_at) AS ingested_through
FROM events;
