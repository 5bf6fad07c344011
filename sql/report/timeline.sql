-- Each finding's timeline: its principal's events per time bucket across the span the report
-- shows (the finding's span widened by a day each side, within the lake).
-- Grain: one row per (finding_id, bucket) with at least one event.
-- Input: `report_spans`, registered by pipeline/report.py: finding_id, principal, account_id,
--   shown_start, shown_end, step_seconds (the bucket width: an hour, or ten minutes for short
--   spans).
-- Columns: finding_id, bucket (start of the bucket, aligned to the epoch), events, errors.
-- Why: an analyst judges a finding by what the principal does around it; a burst at 3 a.m.
-- between quiet days tells a different story from a busy principal's ordinary afternoon.
WITH source AS (
    SELECT s.finding_id, s.step_seconds, e.event_time, e.error_code
    FROM report_spans AS s
    JOIN events AS e
        ON e.principal_key = s.principal
        AND e.account_id = s.account_id
        AND e.event_time >= s.shown_start
        AND e.event_time < s.shown_end
),

aggregated AS (
    SELECT
        finding_id,
        to_timestamp(floor(epoch(event_time) / step_seconds) * step_seconds) AS bucket,
        count(*) AS events,
        count(error_code) AS errors
    FROM source
    GROUP BY ALL
)

SELECT * FROM aggregated ORDER BY finding_id, bucket;
