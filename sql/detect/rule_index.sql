-- rule_index: the few columns the exact rules look at, one row per event of the lake, from one
-- scan of the Parquet. Scans of this lake cost more per file than per column (about 0.5 s of
-- CPU per scan of 1,155 small files at 2.5M events, 0.1 s per column), so everything detection
-- needs from the whole lake is read here once: each rule's prefilter (rule_candidates.sql, which
-- keeps the events from $since on), the workload list (workloads.sql), the addresses not looked
-- up yet (new_addresses.sql) and the events the explanations enrich (episode_events.sql) then
-- come from this in-memory table.
-- Each row keeps its partition (event_date, account_id): fetching the candidates' full rows
-- (events_by_id.sql) then reads only their partitions' files, not the whole lake.
-- assumed_role: the role an AssumeRole call by EC2, Lambda or ECS asked for (NULL otherwise).
-- request_hash: a hash of the event name and request, so that a counting rule's prefilter
-- (threshold_candidates.sql) counts distinct requests: a workload reading the same secret every
-- minute makes one request, not a thousand.
-- counted: for the events of the counting rules' names ($counted_names), what their key
-- functions read (request, error, the service acting, console session), so that they are judged
-- from this table; only the few events of a met window are fetched whole (NULL otherwise).
-- trail_bucket: the bucket a CreateTrail/UpdateTrail call sent the trail to; admin_role: the role
-- a successful AttachRolePolicy gave AdministratorAccess (rule_context.sql; NULL otherwise).
-- of_episode: the principal has an anomaly episode (registered table `episode_principals`:
-- principal_key, account_id); the columns after it are the rest of what events_enriched.sql
-- reads, kept for those principals' rows only (NULL for every other row).
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
    e.source_is_ip,
    e.source_ip_address,
    hash(e.event_name_base, e.request_parameters) AS request_hash,
    CASE
        WHEN e.event_name = 'AssumeRole'
            AND e.identity_invoked_by IN ('ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com')
            THEN json_extract_string(e.request_parameters, '$.roleArn')
    END AS assumed_role,
    CASE
        WHEN e.event_name_base IN (SELECT unnest($counted_names))
            THEN {
                'event_source': e.event_source,
                'request_parameters': e.request_parameters,
                'error_code': e.error_code,
                'error_message': e.error_message,
                'identity_invoked_by': e.identity_invoked_by,
                'session_issuer_name': e.session_issuer_name,
                'session_credential_from_console': e.session_credential_from_console
            }
    END AS counted,
    CASE
        WHEN e.event_name IN ('CreateTrail', 'UpdateTrail') AND e.error_code IS NULL
            THEN json_extract_string(e.request_parameters, '$.s3BucketName')
    END AS trail_bucket,
    CASE
        WHEN e.event_name = 'AttachRolePolicy' AND e.error_code IS NULL
            AND json_extract_string(e.request_parameters, '$.policyArn')
                LIKE 'arn:aws%:iam::aws:policy/AdministratorAccess'
            THEN json_extract_string(e.request_parameters, '$.roleName')
    END AS admin_role,
    p.principal_key IS NOT NULL AS of_episode,
    CASE WHEN p.principal_key IS NOT NULL THEN e.event_type END AS event_type,
    CASE WHEN p.principal_key IS NOT NULL THEN e.event_source END AS event_source,
    CASE WHEN p.principal_key IS NOT NULL THEN e.aws_region END AS aws_region,
    CASE WHEN p.principal_key IS NOT NULL THEN e.error_code END AS error_code,
    CASE WHEN p.principal_key IS NOT NULL THEN e.read_only END AS read_only,
    CASE WHEN p.principal_key IS NOT NULL THEN e.user_agent END AS user_agent,
    CASE WHEN p.principal_key IS NOT NULL THEN e.principal_kind END AS principal_kind,
    CASE WHEN p.principal_key IS NOT NULL THEN e.session_issuer_name END AS session_issuer_name
FROM events AS e
LEFT JOIN episode_principals AS p
    ON p.principal_key = e.principal_key AND p.account_id = e.account_id;
