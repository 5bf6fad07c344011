-- Workload principals: role ARNs and principal keys whose credentials belong to an EC2 instance,
-- a Lambda function or an ECS task. Used by the instance-credential rule as context.
-- A role is a workload's when a compute service assumed it (AssumeRole by ec2/lambda/ecs-tasks,
-- roleArn in the request), or when its sessions were used from inside AWS with a Lambda/ECS
-- agent or an instance-id session name. One row per (kind, value).
WITH assumed AS (
    SELECT DISTINCT 'role' AS kind, json_extract_string(request_parameters, '$.roleArn') AS value
    FROM events
    WHERE event_name = 'AssumeRole'
      AND identity_invoked_by IN ('ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com')
),

calls AS (
    -- Each distinct (principal, agent, session name) of role sessions called from inside AWS:
    -- the patterns below then run once per combination, not once per event.
    SELECT DISTINCT e.principal_key, e.user_agent, e.session_name
    FROM events AS e
    LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address
    WHERE e.identity_type = 'AssumedRole'
      AND (NOT e.source_is_ip OR coalesce(i.inside_aws, false))
),

used AS (
    SELECT DISTINCT 'principal' AS kind, principal_key AS value
    FROM calls
    WHERE regexp_matches(lower(coalesce(user_agent, '')), 'exec-env/aws_(lambda|ecs)|awslambda-worker')
       OR regexp_matches(coalesce(session_name, ''), '^i-[0-9a-f]{8,17}$')
)

SELECT * FROM assumed WHERE value IS NOT NULL
UNION
SELECT * FROM used;
