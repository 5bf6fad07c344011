-- calls: what the features compare on, counted per principal, hour and combination of values.
-- Grain: one row per (pid, window_start, api, category, region, network, country, ua_family and
--   the flags below) with an event in [$history_start, $window_end), CloudTrail-internal service
--   events (AwsServiceEvent) excluded.
-- Columns: pid (plan/30_keys.sql), window_start (the hour), api (service:EventName, Lambda
--   version suffix removed), service, category (from sql/reference/api_categories.csv), is_error,
--   is_denied, is_write, region, is_ip, network (ASN organisation, else /24, else the service
--   name that stands in sourceIPAddress), country, inside_aws, ua_family, hostile_ua,
--   in_finding (the events lie inside an active finding's span, shard/incidents.sql), n (events).
-- Why: every feature family compares these few columns; computing them once keeps each family a
-- short aggregate. Only what the features read is kept (no address, no agent string, no ARN),
-- and identical events of an hour are one row with a count: a busy workload repeats the same
-- call, and this table holds the whole history, so its size is most of the cost of what reads
-- it. The user agent is reduced to a family because the full string changes with every CLI/SDK
-- release (and attackers copy it), while a *new family* is meaningful. Agent families and API
-- names are worked out once per distinct value, not once per event. `in_finding` splits an
-- hour's calls into what later hours may count as history and what they may not (an attack's
-- calls): every family counts both in the hour itself, history only the calls outside findings.
-- The same columns per event for the explanations: sql/detect/events_enriched.sql.
CREATE OR REPLACE TEMP TABLE calls AS
WITH filtered AS (
    SELECT
        principal_key,
        account_id,
        event_time,
        event_source,
        event_name_base,
        error_code,
        read_only,
        aws_region,
        source_is_ip,
        source_ip_address,
        lower(coalesce(user_agent, '')) AS ua
    FROM events
    WHERE event_time >= $history_start AND event_time < $window_end
        -- CloudTrail-internal service events (AwsServiceEvent) are nobody's behaviour. (Filtered
        -- here, not in a CTE of its own: DuckDB then builds this table twice as slowly.)
        AND coalesce(event_type, 'AwsApiCall') <> 'AwsServiceEvent'
),

agents AS (
    -- The family of each distinct agent, not of each event: a lake has a few hundred agents and
    -- millions of events, and classifying every event was a fifth of the CPU time of this file.
    SELECT
        ua,
        ua_family(ua) AS ua_family  -- sql/views/macros.sql
    FROM (SELECT DISTINCT ua FROM filtered)
),

apis AS (
    -- Each distinct API once: its name, service and whether its verb reads.
    SELECT
        event_source,
        event_name_base,
        split_part(event_source, '.', 1) || ':' || event_name_base AS api,
        split_part(event_source, '.', 1) AS service,
        read_verb(event_name_base) AS read_verb
    FROM (SELECT DISTINCT event_source, event_name_base FROM filtered)
),

aggregated AS (
    SELECT
        k.pid,
        -- The UTC hour, by arithmetic on microseconds: date_trunc on a TIMESTAMPTZ goes through the
        -- session's time zone calendar for every event, a tenth of this table's CPU.
        make_timestamptz(epoch_us(f.event_time) // 3600000000 * 3600000000) AS window_start,
        p.api,
        p.service,
        c.category,
        f.error_code IS NOT NULL AS is_error,
        is_denied(f.error_code) AS is_denied,
        -- readOnly is missing on some records: fall back to the verb, as CloudTrail itself does.
        NOT coalesce(f.read_only, p.read_verb) AS is_write,
        coalesce(f.aws_region, 'unknown') AS region,
        coalesce(f.source_is_ip, false) AS is_ip,
        CASE
            WHEN f.source_is_ip THEN coalesce(i.network, f.source_ip_address)
            ELSE coalesce(f.source_ip_address, 'unknown')  -- a service name or "AWS Internal"
        END AS network,
        i.country,
        coalesce(i.inside_aws, NOT coalesce(f.source_is_ip, false)) AS inside_aws,
        a.ua_family,
        x.pid IS NOT NULL AS in_finding
    FROM filtered AS f
    JOIN keys AS k ON k.principal_key = f.principal_key AND k.account_id = f.account_id
    -- Merged spans never overlap: at most one per event.
    LEFT JOIN incidents AS x
        ON x.pid = k.pid AND f.event_time >= x.first_seen AND f.event_time <= x.last_seen
    JOIN apis AS p
        ON p.event_source IS NOT DISTINCT FROM f.event_source
        AND p.event_name_base IS NOT DISTINCT FROM f.event_name_base
    LEFT JOIN ip_info AS i ON i.ip = f.source_ip_address
    LEFT JOIN api_categories AS c ON c.event_name = f.event_name_base
    JOIN agents AS a ON a.ua = f.ua  -- ua is never NULL
),

final AS (
    SELECT *, starts_with(ua_family, 'tool:') AS hostile_ua, count(*) AS n
    FROM aggregated
    GROUP BY ALL
)

SELECT * FROM final;
