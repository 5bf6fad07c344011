-- rule_index: the few columns the rules' prefilters look at, one row per event at or after
-- $since (all when NULL). Built once per detection run, so each rule's prefilter
-- (rule_candidates.sql) runs on a slim in-memory table instead of rescanning the Parquet lake.
-- Each row keeps its partition (event_date, account_id): fetching the candidates' full rows
-- (events_by_id.sql) then reads only their partitions' files, not the whole lake.
CREATE OR REPLACE TEMP TABLE rule_index AS
SELECT
    e.event_id,
    e.event_date,
    e.account_id,
    e.event_name_base,
    e.identity_type,
    lower(coalesce(e.user_agent, '')) AS agent,
    coalesce(e.session_name, '') AS session_name,
    e.principal_key,
    e.session_issuer_arn,
    coalesce(e.source_is_ip, false) AS source_is_ip,
    i.inside_aws
FROM events AS e
LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address
WHERE $since IS NULL OR e.event_time >= $since;
