-- Sigma matches, from one scan of the `events` view: the events of every compiled Sigma rule
-- (models/sigma/pack.py), grouped by rule, principal, account and UTC day (a finding's episode).
-- Grain: one row per (rule, principal_key, account_id, event_date) with a match.
-- Columns: rule (the rule's index in the run's list), the group's key, events (how many),
-- first_seen / last_seen, regions, source_ips and user_agents (distinct, sorted), samples (the
-- group's first $samples events by time, as structs), by_service (every event of the group was
-- an AWS service carrying out a workflow: sql/views/macros.sql service_workflow) and invokers
-- (those services, as `invokedBy` names them).
-- Why one scan: a scan of this lake costs more per file than per column (sql/detect/rule_index.sql),
-- so 57 rules are one pass, not 57. {any_rule} ORs every rule's predicate, so the filter sees each
-- event once; {hits} lists `CASE WHEN <predicate> THEN <index> END` per rule, evaluated only for
-- the events some rule matched. Both are SQL the backend generated (models/sigma/backend.py:
-- lake columns and quoted literals); values of this run ($since, $samples) are parameters.
WITH source AS (
    SELECT
        event_id, event_time, event_date, account_id, principal_key, aws_region,
        source_ip_address, user_agent, event_name, event_source, error_code, request_parameters,
        identity_invoked_by,
        service_workflow(identity_invoked_by, event_source) AS by_service
        , [{hits}] AS hits
    FROM events
    WHERE ($since IS NULL OR event_time >= $since)
      AND ({any_rule})
),
filtered AS (
    SELECT * EXCLUDE (hits), unnest(list_filter(hits, lambda h: h IS NOT NULL)) AS rule
    FROM source
),
aggregated AS (
    SELECT
        rule,
        coalesce(principal_key, 'unknown') AS principal_key,
        account_id,
        event_date,
        count(*) AS events,
        bool_and(by_service) AS by_service,
        list(DISTINCT identity_invoked_by ORDER BY identity_invoked_by)
            FILTER (WHERE identity_invoked_by IS NOT NULL) AS invokers,
        min(event_time) AS first_seen,
        max(event_time) AS last_seen,
        list(DISTINCT aws_region ORDER BY aws_region) FILTER (WHERE aws_region IS NOT NULL)
            AS regions,
        list(DISTINCT source_ip_address ORDER BY source_ip_address)
            FILTER (WHERE source_ip_address IS NOT NULL) AS source_ips,
        list(DISTINCT user_agent ORDER BY user_agent) FILTER (WHERE user_agent IS NOT NULL)
            AS user_agents,
        min_by(
            struct_pack(
                event_id := event_id,
                event_time := event_time,
                event_name := event_name,
                event_source := event_source,
                source_ip_address := source_ip_address,
                error_code := error_code,
                request_parameters := request_parameters
            ),
            struct_pack(t := event_time, id := event_id),
            $samples
        ) AS samples
    FROM filtered
    GROUP BY ALL
)
SELECT *
FROM aggregated
ORDER BY rule, principal_key, account_id, event_date;
