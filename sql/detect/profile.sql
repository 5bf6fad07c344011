-- The behaviour profile of one principal next to what it did in one episode, for explanations.
-- Grain: one row per (dim, value) the principal showed in the `enriched` range (dims: api,
-- network, user_agent, region, country).
-- Columns: dim, value, category (APIs only), hours_before (active hours with this value before
--   $start), episode_events (events with it in [$start, $end)), active_hours (all active hours
--   of the principal before $start).
-- Why: GuardDuty's anomaly findings show the unusual values next to the profiled ones (frequent,
-- infrequent, rare); that is what lets an analyst judge a finding without writing SQL.
WITH source AS (
    SELECT * FROM enriched
    WHERE principal_key = $principal AND account_id = $account AND window_start < $end
),

filtered AS (
    SELECT window_start, 'api' AS dim, api AS value, category FROM source
    UNION ALL
    SELECT window_start, 'network', network, NULL FROM source
    UNION ALL
    SELECT window_start, 'user_agent', ua_family, NULL FROM source
    UNION ALL
    SELECT window_start, 'region', region, NULL FROM source
    UNION ALL
    SELECT window_start, 'country', country, NULL FROM source WHERE country IS NOT NULL
),

aggregated AS (
    SELECT
        dim,
        value,
        any_value(category) AS category,
        count(DISTINCT window_start) FILTER (WHERE window_start < $start) AS hours_before,
        count(*) FILTER (WHERE window_start >= $start) AS episode_events
    FROM filtered
    GROUP BY dim, value
),

final AS (
    SELECT
        a.*,
        (SELECT count(DISTINCT window_start) FROM source WHERE window_start < $start) AS active_hours
    FROM aggregated AS a
)

SELECT * FROM final ORDER BY dim, hours_before DESC, episode_events DESC, value;
