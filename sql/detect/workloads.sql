-- Workload principals: role ARNs and principal keys whose credentials belong to an EC2 instance,
-- a Lambda function or an ECS task. Used by the instance-credential rule as context.
-- A role is a workload's when a compute service assumed it (AssumeRole by ec2/lambda/ecs-tasks,
-- roleArn in the request), or when its sessions were used from inside AWS with a Lambda/ECS
-- agent, an instance-id session name (`i-0abc...`) or an ECS task id as session name (32 hex
-- digits: ECS names a task role's session after the task, and its SDK's agent need not say
-- ECS). One row per (kind, value).
-- Reads rule_index (rule_index.sql), which holds the lake's calls in memory, and ip_info.
WITH assumed AS (
    SELECT DISTINCT 'role' AS kind, assumed_role AS value
    FROM rule_index
    WHERE assumed_role IS NOT NULL
),

calls AS (
    -- Each distinct (principal, agent, session name) of role sessions called from inside AWS:
    -- the patterns below then run once per combination, not once per event.
    SELECT DISTINCT r.principal_key, r.agent, r.session_name
    FROM rule_index AS r
    LEFT JOIN ip_info AS i ON i.ip = r.source_ip_address
    WHERE r.identity_type = 'AssumedRole'
      AND (NOT r.source_is_ip OR coalesce(i.inside_aws, false))
),

used AS (
    SELECT DISTINCT 'principal' AS kind, principal_key AS value
    FROM calls
    WHERE regexp_matches(agent, 'exec-env/aws_(lambda|ecs)|awslambda-worker')  -- lower case
       OR regexp_matches(session_name, '^i-[0-9a-f]{8,17}$')
       OR regexp_matches(session_name, '^[0-9a-f]{32}$')
)

SELECT * FROM assumed
UNION
SELECT * FROM used;
