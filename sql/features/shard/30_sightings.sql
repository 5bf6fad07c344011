-- sightings: what a principal showed in an hour, one row per dimension and value. A shard table:
-- built from the shard's own `calls`, read by novelty and by gather/own_first.sql.
-- Grain: one row per (pid, window_start, dim, value).
-- Columns: dim (api, network, country, user_agent, region, hour), value, category (APIs only),
--   in_history (some event showing the value in that hour lies outside every active finding:
--   later hours may count the sighting as history).
-- Why: novelty is "the first sighting of a value", for the principal and for its peer group; both
-- start from the same sightings. Networks and agents are those of the calls made from an address:
-- a call an AWS service made on the principal's behalf (CloudFormation, Access Analyzer, Athena,
-- S3's KMS calls: its source and agent are the service's name) says nothing about where the
-- principal is, so a first stack or a first encrypted read is not a new place (the cold-start
-- scorer's networks are addresses' too, sql/detect/cold_start.sql). The hour of day is one per
-- active hour: it comes from `hourly`.
-- A value only an incident showed is still new afterwards: the hour itself sees every value it
-- showed, but own_first (and through it peer_first) counts only sightings `in_history`.
CREATE OR REPLACE TEMP TABLE sightings AS
WITH source AS (
    SELECT * FROM calls
),

aggregated AS (
    -- category depends on the API alone: grouping by it keeps one row per API.
    SELECT
        pid, window_start, 'api' AS dim, api AS value, category,
        bool_or(NOT in_finding) AS in_history
    FROM source GROUP BY pid, window_start, api, category
    UNION ALL
    SELECT pid, window_start, 'network', network, NULL, bool_or(NOT in_finding)
    FROM source WHERE is_ip GROUP BY pid, window_start, network
    UNION ALL
    SELECT pid, window_start, 'country', country, NULL, bool_or(NOT in_finding)
    FROM source WHERE country IS NOT NULL GROUP BY pid, window_start, country
    UNION ALL
    SELECT pid, window_start, 'user_agent', ua_family, NULL, bool_or(NOT in_finding)
    FROM source WHERE is_ip GROUP BY pid, window_start, ua_family
    UNION ALL
    SELECT pid, window_start, 'region', region, NULL, bool_or(NOT in_finding)
    FROM source GROUP BY pid, window_start, region
    UNION ALL
    SELECT pid, window_start, 'hour', hour(window_start)::VARCHAR, NULL, history_events > 0
    FROM hourly
),

final AS (
    SELECT * FROM aggregated
)

SELECT * FROM final;
