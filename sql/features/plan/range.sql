-- range: what a feature run covers, and the addresses it may have to look up, in one scan of the
-- lake (each scan of many small files costs seconds before it reads a row).
-- Grain: one row.
-- Columns: window_start (the earliest hour of any event ingested after $cursor; all events when
--   $cursor is NULL; late events pull the start back), window_end (the end of the newest hour),
--   ingested_through (the newest ingested_at: the next cursor), addresses (every distinct source
--   address that is an IP; pipeline.features looks up those not in ip_info yet).
-- Why: the hours are truncated after min() and max(), not before: the same hours, without a
--   date_trunc for every event.
WITH source AS (
    SELECT event_time, ingested_at, source_ip_address, source_is_ip FROM events
),

final AS (
    SELECT
        date_trunc(
            'hour', min(event_time) FILTER (WHERE $cursor IS NULL OR ingested_at > $cursor)
        ) AS window_start,
        date_trunc('hour', max(event_time)) + INTERVAL 1 HOUR AS window_end,
        max(ingested_at) AS ingested_through,
        list(DISTINCT source_ip_address) FILTER (WHERE source_is_ip) AS addresses
    FROM source
)

SELECT * FROM final;
