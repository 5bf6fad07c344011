-- enriched: the episode principals' events, one row per event, with what the features compare on
-- (the per-event form of sql/features/shard/10_calls.sql), for the explanations' profiles.
-- Grain: one row per event with event_time in [$history_start, $window_end).
-- Columns: principal_key, principal_kind, account_id, event_time, window_start (the hour),
--   hour_of_day, api (service:EventName, Lambda version suffix removed), service, category (from
--   sql/reference/api_categories.csv), is_error, is_denied, is_write, region, is_ip, network (ASN
--   organisation, else /24, else the service name that stands in sourceIPAddress), country,
--   inside_aws, source_ip and user_agent (as delivered), ua_family, hostile_ua, peer_hint,
--   role_family (a role's name without its generated suffix; NULL for other principals),
--   in_finding (false here; mark_finding_events.sql sets it for events inside active findings).
-- Why: an explanation sets a finding's values beside the principal's profile of the same columns,
-- and names the addresses and agents as delivered, which the features' counts do not keep.
CREATE OR REPLACE TEMP TABLE enriched AS
WITH source AS (
    SELECT e.*, lower(coalesce(e.user_agent, '')) AS ua
    FROM events AS e
    WHERE e.event_time >= $history_start AND e.event_time < $window_end
),

filtered AS (
    -- CloudTrail-internal service events (AwsServiceEvent) are nobody's behaviour.
    SELECT * FROM source
    WHERE coalesce(event_type, 'AwsApiCall') <> 'AwsServiceEvent'
),

agents AS (
    -- The family of each distinct agent, not of each event: a lake has a few hundred agents and
    -- millions of events, and classifying every event was a fifth of the CPU time of this file.
    SELECT
        ua,
        ua_family(ua) AS ua_family  -- sql/views/macros.sql
    FROM (SELECT DISTINCT ua FROM filtered)
),

aggregated AS (
    SELECT
        f.principal_key,
        f.principal_kind,
        f.account_id,
        f.event_time,
        date_trunc('hour', f.event_time) AS window_start,
        hour(f.event_time) AS hour_of_day,
        split_part(f.event_source, '.', 1) || ':' || f.event_name_base AS api,
        split_part(f.event_source, '.', 1) AS service,
        c.category,
        f.error_code IS NOT NULL AS is_error,
        is_denied(f.error_code) AS is_denied,
        -- readOnly is missing on some records: fall back to the verb, as CloudTrail itself does.
        NOT coalesce(f.read_only, read_verb(f.event_name_base)) AS is_write,
        coalesce(f.aws_region, 'unknown') AS region,
        coalesce(f.source_is_ip, false) AS is_ip,
        f.source_ip_address AS source_ip,
        f.user_agent,
        CASE
            WHEN f.source_is_ip THEN coalesce(i.network, f.source_ip_address)
            ELSE coalesce(f.source_ip_address, 'unknown')  -- a service name or "AWS Internal"
        END AS network,
        i.country,
        coalesce(i.inside_aws, NOT coalesce(f.source_is_ip, false)) AS inside_aws,
        a.ua_family,
        peer_hint(f.principal_kind, f.session_issuer_name) AS peer_hint,
        role_family(f.principal_kind, f.session_issuer_name) AS role_family
    FROM filtered AS f
    LEFT JOIN ip_info AS i ON i.ip = f.source_ip_address
    LEFT JOIN api_categories AS c ON c.event_name = f.event_name_base
    JOIN agents AS a ON a.ua = f.ua  -- ua is never NULL
),

final AS (
    SELECT *, starts_with(ua_family, 'tool:') AS hostile_ua, false AS in_finding FROM aggregated
)

SELECT * FROM final;
