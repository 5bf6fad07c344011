-- Family: sensitive categories. Calls per hour in each category attackers need and daily work
-- rarely touches (sql/reference/api_categories.csv), and calls made with an attack tool's agent.
-- Grain: one row per (pid, window_start) with events in the range. Counted in shard/hourly.sql.
-- Columns: n_discovery, n_iam_mutation, n_logging_tamper, n_credential_access, n_data_sharing,
--   n_persistence, n_compute_launch, n_remote_execution, n_hostile_agent, n_outside_aws.
-- Why: an anomaly nobody can name is noise; counting calls by purpose (discovery, IAM changes,
-- turning logging off, reading secrets, sharing data out, launching compute, running commands on
-- instances) lets the finding say what the unusual behaviour was for, and picks its
-- GuardDuty-style type. `data_sharing` holds the calls that give someone else access (a
-- snapshot's or an image's permissions, a bucket policy or ACL, public access, an ingress rule):
-- a copy that stays in the account (CreateSnapshot, CopySnapshot, CreateImage, CopyImage) shares
-- nothing, so it is not listed. GuardDuty counts CreateSnapshot as exfiltration; here the share
-- that follows is judged by its exact rule, which reads whom it grants.
-- `credential_access` holds the calls that hand over a secret or credentials (GuardDuty's list:
-- GetPasswordData, GetSecretValue, BatchGetSecretValue; SSM parameters, which hold SecureStrings;
-- Identity Center's GetRoleCredentials and an IAM user's GetSessionToken). ECR's
-- GetAuthorizationToken, a registry login every image pull and push makes, is not listed, and
-- GenerateCredentialReport (users, key ages and MFA, no secret) is discovery like
-- GetCredentialReport: an auditor's review reads it.
-- n_outside_aws counts calls from addresses outside AWS's networks: for a workload role that is
-- the shape of stolen instance credentials.
WITH source AS (
    SELECT * FROM hourly
),

filtered AS (
    SELECT * FROM source
    WHERE window_start >= $window_start AND window_start < $window_end
),

final AS (
    SELECT
        pid,
        window_start,
        n_discovery,
        n_iam_mutation,
        n_logging_tamper,
        n_credential_access,
        n_data_sharing,
        n_persistence,
        n_compute_launch,
        n_remote_execution,
        n_hostile_agent,
        n_outside_aws
    FROM filtered
)

SELECT * FROM final
