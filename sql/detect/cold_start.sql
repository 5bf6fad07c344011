-- cold_start: what is suspicious in an hour of one principal whatever its past, for the
-- history-free scorer (models/cold_start.py).
-- Grain: one row per (principal_key, account_id, window_start) with an event from $since on
--   (NULL: the whole lake), CloudTrail-internal service events left out.
-- Columns: counts of the hour (n_events, n_apis, n_services, n_denied, n_denied_apis),
--   enum_services (how many of iam, s3, ec2, secretsmanager were enumerated with at least two
--   distinct List/Describe/Get APIs), n_enum_apis, denied_after_whoami (denied calls after the
--   hour's first GetCallerIdentity), tools (offensive tools named in the agents,
--   sql/reference/offensive_agents.csv), hosting (hosting / VPN / anonymiser networks of
--   sql/reference/hosting_networks.csv the principal first used within the day before),
--   hosting_kind, new_to_org (one of the hour's networks appeared in the organisation's logs
--   within the day before), n_assume (AssumeRole calls by a long-term IAM user key),
--   org_first_apis (high-risk APIs this hour was the organisation's first call of, once the
--   lake holds 3 days), first/last
--   event time, identity type and a few source addresses, agents and regions.
-- Why: an intruder with a leaked key is loudest in its first hour (hundreds of APIs, most denied,
--   from a VPS, with an attack tool) and that hour is often the first the lake holds: none of
--   this needs the principal's own history, so it fires from a lake's first hour.
CREATE OR REPLACE TEMP TABLE cold_start_hours AS
WITH source AS (
    SELECT
        principal_key,
        account_id,
        event_time,
        make_timestamptz(epoch_us(event_time) // 3600000000 * 3600000000) AS window_start,
        split_part(event_source, '.', 1) AS service,
        event_name_base AS api,
        is_denied(error_code) AS denied,
        identity_type,
        lower(coalesce(user_agent, '')) AS agent,
        user_agent,
        source_ip_address,
        coalesce(source_is_ip, false) AS is_ip,
        aws_region
    FROM events
    WHERE coalesce(event_type, 'AwsApiCall') <> 'AwsServiceEvent'
        AND principal_key IS NOT NULL
),

networks AS (
    -- Each address's network (ASN organisation), and whether it is a hosting or VPN one.
    SELECT
        i.ip,
        coalesce(i.asn_name, i.network) AS network,
        min(h.kind) AS hosting_kind
    FROM ip_info AS i
    LEFT JOIN hosting_networks AS h ON contains(lower(coalesce(i.asn_name, '')), h.pattern)
    WHERE NOT coalesce(i.inside_aws, false)
    GROUP BY ALL
),

agents AS (
    -- The offensive tool each distinct agent names, if any (once per agent, not per event).
    SELECT d.agent, min(t.tool) AS tool
    FROM (SELECT DISTINCT agent FROM source) AS d
    LEFT JOIN offensive_agents AS t ON contains(d.agent, t.pattern)
    GROUP BY ALL
),

placed AS (
    SELECT s.*, n.network, n.hosting_kind, t.tool
    FROM source AS s
    LEFT JOIN networks AS n ON s.is_ip AND n.ip = s.source_ip_address
    JOIN agents AS t USING (agent)
),

own_network_first AS (
    -- When each principal first used each network (over the whole lake).
    SELECT principal_key, account_id, network, min(event_time) AS first_time
    FROM placed
    WHERE network IS NOT NULL
    GROUP BY ALL
),

org_network_first AS (
    SELECT network, min(event_time) AS first_time
    FROM placed
    WHERE network IS NOT NULL
    GROUP BY ALL
),

org_api_first AS (
    -- The organisation's first call of each high-risk API (successful or not).
    SELECT p.api, min(p.event_time) AS first_time
    FROM placed AS p
    JOIN api_categories AS c ON c.event_name = p.api
    WHERE list_contains($high_risk, c.category)
    GROUP BY ALL
    -- Only once the organisation has a history: in a lake's first days every API is a first.
    HAVING min(p.event_time) >= (SELECT min(event_time) FROM source) + INTERVAL 3 DAY
),

filtered AS (
    SELECT *
    FROM placed
    WHERE $since::TIMESTAMPTZ IS NULL OR event_time >= $since::TIMESTAMPTZ
),

whoami AS (
    SELECT principal_key, account_id, window_start, min(event_time) AS first_whoami
    FROM filtered
    WHERE api = 'GetCallerIdentity'
    GROUP BY ALL
),

enumerated AS (
    SELECT principal_key, account_id, window_start, count(*) AS enum_services,
        sum(n_apis) AS n_enum_apis
    FROM (
        SELECT principal_key, account_id, window_start, service, count(DISTINCT api) AS n_apis
        FROM filtered
        WHERE service IN ('iam', 's3', 'ec2', 'secretsmanager') AND read_verb(api)
            AND api <> 'GetCallerIdentity'
        GROUP BY ALL
    )
    WHERE n_apis >= 2
    GROUP BY ALL
),

aggregated AS (
    SELECT
        f.principal_key,
        f.account_id,
        f.window_start,
        count(*) AS n_events,
        count(DISTINCT f.service || ':' || f.api) AS n_apis,
        count(DISTINCT f.service) AS n_services,
        count(*) FILTER (WHERE f.denied) AS n_denied,
        count(DISTINCT f.service || ':' || f.api) FILTER (WHERE f.denied) AS n_denied_apis,
        count(*) FILTER (WHERE f.denied AND f.event_time > w.first_whoami) AS denied_after_whoami,
        list(DISTINCT f.tool ORDER BY f.tool) FILTER (WHERE f.tool IS NOT NULL) AS tools,
        list(DISTINCT f.network ORDER BY f.network) FILTER (
            WHERE f.hosting_kind IS NOT NULL AND o.first_time >= f.window_start - INTERVAL 1 DAY
        ) AS hosting,
        min(f.hosting_kind) FILTER (
            WHERE o.first_time >= f.window_start - INTERVAL 1 DAY
        ) AS hosting_kind,
        bool_or(g.first_time >= f.window_start - INTERVAL 1 DAY) AS new_to_org,
        count(*) FILTER (
            WHERE f.api = 'AssumeRole' AND f.identity_type = 'IAMUser'
        ) AS n_assume,
        list(DISTINCT f.api ORDER BY f.api) FILTER (
            WHERE a.first_time = f.event_time
        ) AS org_first_apis,
        min(f.event_time) AS first_time,
        max(f.event_time) AS last_time,
        mode(f.identity_type) AS identity_type,
        list(DISTINCT f.source_ip_address ORDER BY f.source_ip_address) AS source_ips,
        list(DISTINCT f.user_agent ORDER BY f.user_agent) AS user_agents,
        list(DISTINCT f.aws_region ORDER BY f.aws_region) AS regions
    FROM filtered AS f
    LEFT JOIN whoami AS w USING (principal_key, account_id, window_start)
    LEFT JOIN own_network_first AS o USING (principal_key, account_id, network)
    LEFT JOIN org_network_first AS g USING (network)
    LEFT JOIN org_api_first AS a USING (api)
    GROUP BY f.principal_key, f.account_id, f.window_start
),

final AS (
    SELECT
        a.*,
        coalesce(e.enum_services, 0) AS enum_services,
        coalesce(e.n_enum_apis, 0) AS n_enum_apis
    FROM aggregated AS a
    LEFT JOIN enumerated AS e USING (principal_key, account_id, window_start)
)

SELECT * FROM final;
