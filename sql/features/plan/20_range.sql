-- range: the hours a feature run recomputes and the addresses it may have to look up.
-- Grain: one row.
-- Columns: window_start (the earliest hour of any event ingested after the cursor; all events
--   when there is none; late events pull the start back), window_end (the end of the newest
--   hour), ingested_through (the newest ingested_at: the next cursor), addresses (every distinct
--   source address that is an IP; pipeline.features looks up those not in ip_info yet).
-- Why: the hours are truncated after min() and max(), not before: the same hours, without a
-- date_trunc for every event.
WITH source AS (
    SELECT * FROM seen
),

final AS (
    SELECT
        date_trunc('hour', min(first_new)) AS window_start,
        date_trunc('hour', max(last_event)) + INTERVAL 1 HOUR AS window_end,
        max(ingested_through) AS ingested_through,
        list_distinct(flatten(list(addresses))) AS addresses
    FROM source
)

SELECT * FROM final;
