-- rule_index: the few columns the rules' prefilters look at, one row per event of the lake.
-- Built once per detection run, so each rule's prefilter (rule_candidates.sql, which keeps the
-- events from $since on) and the workload list (workloads.sql) run on a slim in-memory table
-- instead of rescanning the Parquet lake. Needs every address of the lake in `ip_info`.
-- Each row keeps its partition (event_date, account_id): fetching the candidates' full rows
-- (events_by_id.sql) then reads only their partitions' files, not the whole lake.
-- from_aws: the call came from inside AWS (an AWS or private address, or a service name).
CREATE OR REPLACE TEMP TABLE rule_index AS
SELECT
    e.event_id,
    e.event_date,
    e.account_id,
    e.event_time,
    e.event_name_base,
    e.identity_type,
    lower(coalesce(e.user_agent, '')) AS agent,
    coalesce(e.session_name, '') AS session_name,
    e.principal_key,
    e.session_issuer_arn,
    coalesce(e.source_is_ip, false) AS source_is_ip,
    i.inside_aws,
    coalesce(NOT e.source_is_ip OR coalesce(i.inside_aws, false), false) AS from_aws
FROM events AS e
LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address;
