-- The behaviour profile of each episode's principal next to what it did in the episode, for
-- explanations: every episode at once, in one pass over `enriched` (a query per finding scanned
-- the whole table each time: 10 s of CPU for the 318 anomaly findings at 10M events).
-- Input: `episode_spans` (episode, principal_key, account_id, span_start, span_end), registered
--   by pipeline/ml_findings.py.
-- Grain: one row per episode and (dim, value) the principal showed in the `enriched` range
-- before span_end (dims: api, network, user_agent, region, country).
-- Columns: episode, dim, value, category (APIs only), hours_before (active hours with this value
--   before span_start), episode_events (events with it in [span_start, span_end)), active_hours
--   (all active hours of the principal before span_start). History (hours_before, active_hours)
--   leaves out the events inside active findings (`in_finding`, mark_finding_events.sql), as the
--   features' first sightings do; a value only an incident showed before is new again.
-- Why: GuardDuty's anomaly findings show the unusual values next to the profiled ones (frequent,
-- infrequent, rare); that is what lets an analyst judge a finding without writing SQL.
WITH source AS (
    SELECT s.episode, s.span_start, e.window_start, e.api, e.category, e.network, e.ua_family,
        e.region, e.country, e.in_finding, e.is_ip
    FROM episode_spans AS s
    JOIN enriched AS e
        ON e.principal_key = s.principal_key
        AND e.account_id = s.account_id
        AND e.window_start < s.span_end
),

filtered AS (
    SELECT episode, span_start, window_start, in_finding, 'api' AS dim, api AS value, category
    FROM source
    UNION ALL
    -- Places are where the principal called from: not an AWS service acting for it (as the
    -- features' sightings, sql/features/shard/30_sightings.sql).
    SELECT episode, span_start, window_start, in_finding, 'network', network, NULL FROM source
    WHERE is_ip
    UNION ALL
    SELECT episode, span_start, window_start, in_finding, 'user_agent', ua_family, NULL FROM source
    WHERE is_ip
    UNION ALL
    SELECT episode, span_start, window_start, in_finding, 'region', region, NULL FROM source
    UNION ALL
    SELECT episode, span_start, window_start, in_finding, 'country', country, NULL FROM source
    WHERE country IS NOT NULL
),

aggregated AS (
    SELECT
        episode,
        dim,
        value,
        any_value(category) AS category,  -- one per API: categories are keyed by event name
        count(DISTINCT window_start) FILTER (
            WHERE window_start < span_start AND NOT in_finding
        ) AS hours_before,
        count(*) FILTER (WHERE window_start >= span_start) AS episode_events
    FROM filtered
    GROUP BY episode, dim, value
),

active AS (
    SELECT
        episode,
        count(DISTINCT window_start) FILTER (
            WHERE window_start < span_start AND NOT in_finding
        ) AS active_hours
    FROM source
    GROUP BY episode
),

final AS (
    SELECT a.*, h.active_hours
    FROM aggregated AS a
    JOIN active AS h USING (episode)
    -- a value seen before only inside findings, and not in the episode, is neither profile nor
    -- new: nothing to show
    WHERE a.hours_before > 0 OR a.episode_events > 0
)

SELECT * FROM final ORDER BY episode, dim, hours_before DESC, episode_events DESC, value;
