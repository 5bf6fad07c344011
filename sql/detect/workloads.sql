-- Workload principals: role ARNs and principal keys whose credentials belong to an EC2 instance,
-- a Lambda function or an ECS task. Used by the instance-credential rule as context.
-- A role is a workload's when a compute service assumed it (AssumeRole by ec2/lambda/ecs-tasks,
-- roleArn in the request), or when its sessions were used from inside AWS with a Lambda/ECS
-- agent or an instance-id session name. One row per (kind, value).
-- The sessions' calls come from rule_index (rule_index.sql), already in memory: a scan of the
-- lake for them cost 5 s of CPU at 10M events.
WITH assumed AS (
    SELECT DISTINCT 'role' AS kind, json_extract_string(request_parameters, '$.roleArn') AS value
    FROM events
    WHERE event_name = 'AssumeRole'
      AND identity_invoked_by IN ('ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com')
),

calls AS (
    -- Each distinct (principal, agent, session name) of role sessions called from inside AWS:
    -- the patterns below then run once per combination, not once per event.
    SELECT DISTINCT principal_key, agent, session_name
    FROM rule_index
    WHERE identity_type = 'AssumedRole' AND from_aws
),

used AS (
    SELECT DISTINCT 'principal' AS kind, principal_key AS value
    FROM calls
    WHERE regexp_matches(agent, 'exec-env/aws_(lambda|ecs)|awslambda-worker')  -- lower case
       OR regexp_matches(session_name, '^i-[0-9a-f]{8,17}$')
)

SELECT * FROM assumed WHERE value IS NOT NULL
UNION
SELECT * FROM used;
