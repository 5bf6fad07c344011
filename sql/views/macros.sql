-- Macros beside the `events` view (pipeline/state.py): what the features
-- (sql/features/shard/10_calls.sql, gather/profiles.sql), the explanations
-- (sql/detect/events_enriched.sql) and ad-hoc queries classify alike, defined once.

-- ua_family(ua): the family of a lower-cased user agent ('' when there is none), e.g. 'aws-cli/2',
-- 'boto3', 'console', 'terraform', 'tool:pacu'. The full string changes with every CLI/SDK release
-- (and attackers copy it), while a *new family* for a principal is meaningful; 'tool:' families
-- are offensive tooling. Callers apply it to each distinct agent, not to each event.
CREATE OR REPLACE MACRO ua_family(ua) AS
    CASE
        WHEN regexp_matches(ua, 'kali|parrot|pentoo') THEN 'tool:pentest-os'
        WHEN ua LIKE '%pacu%' THEN 'tool:pacu'
        WHEN ua LIKE '%stratus-red-team%' THEN 'tool:stratus'
        WHEN ua LIKE '%python-requests%' THEN 'tool:python-requests'
        WHEN regexp_matches(ua, '^\[?curl/') THEN 'tool:curl'
        WHEN ua LIKE '%exec-env/aws_lambda%' OR ua LIKE 'awslambda-worker%' THEN 'sdk:lambda'
        WHEN ua LIKE '%exec-env/aws_ecs%' THEN 'sdk:ecs'
        WHEN ua LIKE '%terraform%' THEN 'terraform'
        WHEN ua LIKE '%cloudformation%' THEN 'cloudformation'
        WHEN regexp_matches(ua, '^\[?aws-cli/1') THEN 'aws-cli/1'
        WHEN regexp_matches(ua, '^\[?aws-cli/2') THEN 'aws-cli/2'
        WHEN ua LIKE '%boto3%' OR ua LIKE '%botocore%' THEN 'boto3'
        WHEN ua LIKE 'aws-sdk-js%' THEN 'sdk:js'
        WHEN ua LIKE 'aws-sdk-java%' THEN 'sdk:java'
        WHEN ua LIKE 'aws-sdk-go%' THEN 'sdk:go'
        WHEN ua LIKE '%mozilla/%' OR ua = 'aws internal' OR ua LIKE '%console%' THEN 'console'
        WHEN regexp_matches(ua, '\.amazonaws\.com$') THEN 'aws-service'
        WHEN ua = '' THEN 'none'
        ELSE 'other'
    END;

-- is_denied(error_code): the call was refused for lack of permission (a discovery sweep's and a
-- stolen key's tell), under any of the names AWS services use for it.
CREATE OR REPLACE MACRO is_denied(error_code) AS
    coalesce(
        regexp_matches(error_code, 'AccessDenied|UnauthorizedOperation|NotAuthorized|Forbidden'),
        false
    );

-- read_verb(event_name): the API's verb only reads; where a record has no readOnly flag,
-- CloudTrail itself falls back to it.
CREATE OR REPLACE MACRO read_verb(event_name) AS
    regexp_matches(event_name, '^(Get|List|Describe|Head|Lookup)');

-- peer_hint(kind, issuer): whom a principal new to the lake is compared with: its kind, except
-- that Identity Center sessions keep their permission set (`sso:<set>`).
CREATE OR REPLACE MACRO peer_hint(kind, issuer) AS
    CASE
        WHEN kind = 'role_session' AND issuer LIKE 'AWSReservedSSO_%'
            THEN 'sso:' || regexp_replace(issuer, '^AWSReservedSSO_(.*)_[0-9a-f]+$', '\1')
        ELSE kind
    END;

-- role_family(kind, issuer): a role's name without a generated suffix (a number, a hash, a
-- CloudFormation id), so `github-actions-deploy-348` in one account and `-632` in another, or the
-- same StackSet role in every account, are one family; NULL for other principals and for
-- Identity Center roles (their permission set is their peer group).
CREATE OR REPLACE MACRO role_family(kind, issuer) AS
    CASE
        WHEN kind IN ('role', 'role_session')
            AND NOT coalesce(issuer LIKE 'AWSReservedSSO_%', false)
            THEN regexp_replace(issuer, '[-_]([0-9]+|[0-9a-f]{8,}|[A-Z0-9]{12,13})$', '')
    END;

-- service_workflow(invoked_by, event_source): a call an AWS service makes while carrying out an
-- operational workflow someone started in a call of their own: Fault Injection Service running
-- an experiment's actions, Systems Manager running a maintenance window's, State Manager's or an
-- automation's commands on instances. Never a call on identities, keys or logging (IAM, STS,
-- Organizations, IAM Identity Center, KMS, CloudTrail), whoever makes it: a workflow that
-- changes those is as dangerous as a person doing it. Not CloudFormation, Service Catalog and
-- the like either: they build whatever a template says, with the caller's own credentials
-- (`invokedBy` set), so a stolen key's backdoor user made through a stack stays the caller's.
CREATE OR REPLACE MACRO service_workflow(invoked_by, event_source) AS
    coalesce(invoked_by IN ('fis.amazonaws.com', 'ssm.amazonaws.com'), false)
    AND coalesce(event_source NOT IN (
        'iam.amazonaws.com', 'sts.amazonaws.com', 'organizations.amazonaws.com',
        'sso.amazonaws.com', 'kms.amazonaws.com', 'cloudtrail.amazonaws.com'
    ), false);
