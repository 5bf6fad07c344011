-- rule_index: the few columns the exact rules look at, one row per event of the lake, from one
-- scan of the Parquet. Scans of this lake cost more per file than per column (about 0.5 s of
-- CPU per scan of 1,155 small files at 2.5M events, 0.1 s per column), so everything the rules
-- need from the whole lake is read here once: each rule's prefilter (rule_candidates.sql, which
-- keeps the events from $since on), the workload list (workloads.sql) and the addresses not
-- looked up yet (new_addresses.sql) then run on this in-memory table.
-- Each row keeps its partition (event_date, account_id): fetching the candidates' full rows
-- (events_by_id.sql) then reads only their partitions' files, not the whole lake.
-- assumed_role: the role an AssumeRole call by EC2, Lambda or ECS asked for (NULL otherwise).
CREATE OR REPLACE TEMP TABLE rule_index AS
SELECT
    event_id,
    event_date,
    account_id,
    event_time,
    event_name_base,
    identity_type,
    lower(coalesce(user_agent, '')) AS agent,
    coalesce(session_name, '') AS session_name,
    principal_key,
    session_issuer_arn,
    source_is_ip,
    source_ip_address,
    CASE
        WHEN event_name = 'AssumeRole'
            AND identity_invoked_by IN ('ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com')
            THEN json_extract_string(request_parameters, '$.roleArn')
    END AS assumed_role
FROM events;
