-- sightings: what a principal showed in an hour, one row per dimension and value. A shard table:
-- built from the shard's own `calls`, read by novelty and by gather/own_first.sql.
-- Grain: one row per (pid, window_start, dim, value).
-- Columns: dim (api, network, country, user_agent, region, hour), value, category (APIs only).
-- Why: novelty is "the first sighting of a value", for the principal and for its peer group; both
-- start from the same sightings. The hour of day is one per active hour: it comes from `hourly`.
CREATE OR REPLACE TEMP TABLE sightings AS
WITH source AS (
    SELECT * FROM calls
),

aggregated AS (
    SELECT DISTINCT pid, window_start, 'api' AS dim, api AS value, category FROM source
    UNION ALL
    SELECT DISTINCT pid, window_start, 'network', network, NULL FROM source
    UNION ALL
    SELECT DISTINCT pid, window_start, 'country', country, NULL FROM source
    WHERE country IS NOT NULL
    UNION ALL
    SELECT DISTINCT pid, window_start, 'user_agent', ua_family, NULL FROM source
    UNION ALL
    SELECT DISTINCT pid, window_start, 'region', region, NULL FROM source
    UNION ALL
    SELECT pid, window_start, 'hour', hour(window_start)::VARCHAR, NULL FROM hourly
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final;
