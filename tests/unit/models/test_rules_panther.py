"""Each exact rule against Panther's labelled CloudTrail events (their rule tests, real shapes).

A case is (our rule, Panther rule id, Panther test name); the expected outcome is Panther's own
label. Where GuardDuty's semantics (which trailguard follows) differ from Panther's, the case is
listed in DISAGREE with the reason and the outcome trailguard gives.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import rule_event
from trailguard.models.registry import load_rules

PANTHER = Path(__file__).resolve().parents[2] / "data/cloudtrail/panther-rule-tests"

CASES: dict[str, list[tuple[str, str]]] = {
    "cloudtrail_logging_disabled": [
        ("AWS.CloudTrail.Stopped", "CloudTrail Was Stopped"),
        ("AWS.CloudTrail.Stopped", "CloudTrail Was Started"),
        ("AWS.CloudTrail.Stopped", "Error Stopping CloudTrail"),
        ("AWS.CloudTrail.SecurityConfigurationChange", "Security Configuration Changed"),
        (
            "AWS.CloudTrail.SecurityConfigurationChange",
            "Security Configuration Not Changed - Error",
        ),
    ],
    "cloudtrail_event_selectors": [
        ("AWS.CloudTrail.EventSelectorsDisabled", "Event Selector Disabled"),
        ("AWS.CloudTrail.EventSelectorsDisabled", "Event Selector Enabled"),
        ("AWS.CloudTrail.EventSelectorsDisabled", "Uninteresting Event Type"),
    ],
    "root_credential_usage": [
        ("AWS.Root.Activity", "Root Activity"),
        ("AWS.Root.Activity", "IAMUser Activity"),
        ("AWS.Root.Activity", "Root User Failed Activity"),
        ("AWS.Root.Activity", "Successful Root Login"),
        ("AWS.Console.RootLogin", "Successful Root Login"),
        ("AWS.Console.RootLogin", "Non-Login Event"),
    ],
    "console_login_without_mfa": [
        ("AWS.Console.LoginWithoutMFA", "No MFA Login - IAM User"),
        ("AWS.Console.LoginWithoutMFA", "No MFA Login - IAM User Unknown Account"),
        ("AWS.Console.LoginWithoutMFA", "No MFA Login - Root User"),
        ("AWS.Console.LoginWithoutMFA", "MFA Login - SAML"),
        ("AWS.Console.LoginWithoutMFA", "MFA Login"),
        ("AWS.Console.LoginWithoutMFA", "No MFA - Login Failed"),
        ("AWS.Console.LoginWithoutMFA", "No MFA - authenticated from session with MFA"),
        ("AWS.Console.LoginWithoutMFA", "AWS SSOv2 Login"),
        ("AWS.Console.LoginWithoutMFA", "AssumeRole from MFA User Session"),
        ("AWS.Console.LoginWithoutMFA", "No MFA - IAM Role and External IDP"),
    ],
    "snapshot_shared_externally": [
        ("AWS.CloudTrail.SnapshotMadePublic", "Snapshot Made Publicly Accessible"),
        ("AWS.CloudTrail.SnapshotMadePublic", "Snapshot Not Made Publicly Accessible"),
        ("AWS.CloudTrail.SnapshotMadePublic", "Error Making Snapshot Publicly Accessible"),
        ("AWS.CloudTrail.SnapshotMadePublic", "Snapshot Mader Available to Single Person"),
    ],
    "ami_shared_externally": [
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Made Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Not Made Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Launch Permissions Not Modified"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "Error Making AMI Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "Access Granted To Unknown User"),
    ],
    "rds_snapshot_shared_externally": [
        ("AWS.RDS.SnapshotShared", "Snapshot shared with another account"),
        ("AWS.RDS.SnapshotShared", "Snapshot shared with no accounts"),
    ],
    "bucket_anonymous_access_granted": [
        ("AWS.CloudTrail.ResourceMadePublic", "S3 Made Publicly Accessible"),
        ("AWS.CloudTrail.ResourceMadePublic", "S3 Not Made Publicly Accessible"),
        ("AWS.CloudTrail.ResourceMadePublic", "Null Request Parameters"),
        ("AWS.CloudTrail.ResourceMadePublic", "S3 Failed to make Publicly Accessible"),
        ("AWS.CloudTrail.ResourceMadePublic", "Invalid JSON Policy (Should Not Alert)"),
        (
            "AWS.CloudTrail.ResourceMadePublic",
            "All Restrictive Conditions Types (Should Not Alert)",
        ),
    ],
    "bucket_shared_externally": [
        ("AWS.CloudTrail.ResourceMadePublic", "S3 Not Made Publicly Accessible"),
        ("AWS.CloudTrail.ResourceMadePublic", "Null Request Parameters"),
        ("AWS.S3.BucketPolicyModified", "S3 Bucket Policy Modified Error Response"),
    ],
    "bucket_block_public_access_disabled": [
        ("AWS.S3.DeletePublicAccessBlock", "Public Access Block Deleted Successfully"),
        ("AWS.S3.DeletePublicAccessBlock", "Public Access Block Deletion Failed"),
        ("AWS.S3.DeletePublicAccessBlock", "Different S3 Event"),
        ("AWS.S3.DeletePublicAccessBlock", "Non-S3 Event"),
    ],
    "s3_server_access_logging_disabled": [
        ("AWS.S3.DisableBucketLogging", "Bucket Logging Disabled Successfully"),
        ("AWS.S3.DisableBucketLogging", "Bucket Logging Disabled - Failed"),
        ("AWS.S3.DisableBucketLogging", "Bucket Logging Enabled"),
        ("AWS.S3.DisableBucketLogging", "Logging Field Missing"),
    ],
    "s3_client_side_encryption": [
        ("AWS.S3.CopyObjectWithClientSideEncryption", "CopyObject with client-side encryption"),
        (
            "AWS.S3.CopyObjectWithClientSideEncryption",
            "CopyObject without client-side encryption",
        ),
    ],
    "cloudtrail_bucket_lifecycle": [
        ("AWS.CloudTrail.ShortLifecycle", "1-Day Lifecycle Rule on Known CT Bucket"),
        ("AWS.CloudTrail.ShortLifecycle", "1-Day Lifecycle Rule on Assumed CT Bucket"),
        ("AWS.CloudTrail.ShortLifecycle", "Disabled 1-Day Lifecycle Rule on Known CT Bucket"),
        ("AWS.CloudTrail.ShortLifecycle", "730-Day Lifecycle Rule on Known CT Bucket"),
        ("AWS.CloudTrail.ShortLifecycle", "Completely Unrelated Event"),
    ],
    "dns_query_logging_deleted": [("AWS.CloudTrail.DNSLogsDeleted", "Logs Deleted")],
    "vpc_flow_logs_deleted": [("AWS.VPCFlow.LogsDeleted", "Logs Deleted")],
    "ec2_user_data_modified": [
        ("AWS.EC2.Startup.Script.Change", "ModifyInstanceAttribute-NoUserData"),
        ("AWS.EC2.Startup.Script.Change", "ModifyInstanceAttributeUserdata"),
        ("AWS.EC2.Startup.Script.Change", "NoModifyInstanceAttribute"),
    ],
    "ec2_unusual_instance_types": [
        ("AWS.EC2.LaunchUnusualEC2Instances", "Successful Unusual EC2"),
        ("AWS.EC2.LaunchUnusualEC2Instances", "Successful Unusual EC2 (Dictionary)"),
    ],
    "role_trusts_outside_account": [
        ("AWS.IAM.BackdoorRole", "IAM Role Policy Updated to Allow Internet Access"),
        ("AWS.IAM.BackdoorRole", "IAM Role Policy Updated Without Internet Access"),
        ("AWS.IAM.BackdoorRole", "IAM Role Policy Updated With No Policy Document"),
    ],
    "access_key_for_other_user": [
        ("AWS.IAM.Backdoor.User.Keys", "user1 create keys for user1"),
        ("AWS.IAM.Backdoor.User.Keys", "user1 create keys for user2"),
        ("AWS.IAM.Backdoor.User.Keys", "jackson create keys for jack"),
        ("AWS.IAM.Backdoor.User.Keys", "jack create keys for jackson"),
        ("AWS.IAM.Backdoor.User.Keys", "CreateKey returns error code"),
    ],
    "login_profile_changed_for_other_user": [
        ("AWS.CloudTrail.LoginProfileCreatedOrModified", "ChangeOwnPassword"),
        ("AWS.CloudTrail.LoginProfileCreatedOrModified", "User changed password for other"),
        ("AWS.User.Login.Profile.Modified", "User changed password for other reset required"),
    ],
    "admin_policy_granted": [
        ("AWS.IAM.AttachAdminUserPolicy", "IAM User Policy Attached with Administrator Access"),
        (
            "AWS.IAM.AttachAdminUserPolicy",
            "IAM User Policy Attached without Administrator Access",
        ),
        ("AWS.IAM.AttachAdminRolePolicy", "IAM Role Policy Attached with Administrator Access"),
        (
            "AWS.IAM.AttachAdminRolePolicy",
            "IAM Role Policy Attached without Administrator Access",
        ),
    ],
    "lambda_public_invoke_permission": [
        ("AWS.Potential.Backdoor.Lambda", "Lambda Remove Permission Event"),
    ],
    "lambda_layer_added": [
        (
            "AWS.Lambda.UpdateFunctionConfiguration",
            "IAM User Updates Lambda Configuration with Layers",
        ),
        (
            "AWS.Lambda.UpdateFunctionConfiguration",
            "AssumedRole Updates Lambda Configuration with Layers (Normal CI/CD)",
        ),
        (
            "AWS.Lambda.UpdateFunctionConfiguration",
            "SSO AssumedRole Updates Lambda Configuration with Layers",
        ),
        (
            "AWS.Lambda.UpdateFunctionConfiguration",
            "FederatedUser Updates Lambda Configuration with Layers",
        ),
        (
            "AWS.Lambda.UpdateFunctionConfiguration",
            "Lambda Update Function Configuration without Layers",
        ),
    ],
    "lambda_code_overwritten": [
        ("AWS.Lambda.UpdateFunctionCode", "IAM User Updates Lambda Code"),
        ("AWS.Lambda.UpdateFunctionCode", "AssumedRole Updates Lambda Code (Normal CI/CD)"),
        ("AWS.Lambda.UpdateFunctionCode", "SSO AssumedRole Updates Lambda Code"),
        ("AWS.Lambda.UpdateFunctionCode", "FederatedUser Updates Lambda Code"),
        ("AWS.Lambda.UpdateFunctionCode", "AssumedRole Updates Lambda Code v2 (Normal CI/CD)"),
        ("AWS.Lambda.UpdateFunctionCode", "Delete Function Event"),
    ],
    "secrets_batch_catch_all": [
        ("AWS.SecretsManager.BatchRetrieveSecretsCatchAll", "BatchGetSecretValue Catch-All"),
        (
            "AWS.SecretsManager.BatchRetrieveSecretsCatchAll",
            "BatchGetSecretValue Catch-All with other filters",
        ),
    ],
    "leave_organization": [
        ("AWS.CloudTrail.AttemptToLeaveOrg", "Failed Attempt to Leave Org"),
    ],
    "instance_credentials_outside_aws": [
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "IMDS Credentials Used From Public IP"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "Normal EC2 Workload From Private IP"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "AWS Service Hostname as Source IP"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "Legitimate SSM Activity"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "AWS Internal Source IP"),
        (
            "AWS.CloudTrail.IMDSCredentialExfiltration",
            "AWS Service InvokedBy on behalf of instance",
        ),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "SSM Messages Service Source"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "RegisterManagedInstance Event"),
        ("AWS.CloudTrail.IMDSCredentialExfiltration", "Non-Instance Role"),
    ],
    "admin_port_open_to_world": [
        ("AWS.EC2.SecurityGroupModified", "Error Mofidying Security Group"),
    ],
}

# Counting rules (@threshold_rule) against Panther's events of its threshold rules: an event
# "matches" when it counts toward the threshold (the window is tested with the factory).
COUNTS: dict[str, list[tuple[str, str]]] = {
    "ec2_password_data_retrieval": [
        ("AWS.EC2.ManyPasswordReadAttempts", "Unsuccessful Attempt"),
        ("AWS.EC2.ManyPasswordReadAttempts", "Successful Attempt"),
        ("AWS.EC2.ManyPasswordReadAttempts", "Unrelated Event"),
    ],
    "ssm_parameters_mass_decryption": [
        ("AWS.SSM.DecryptSSMParams", "Single Secret Accessed in Single Event"),
        ("AWS.SSM.DecryptSSMParams", "Multiple Secrets Accessed in Same Event"),
        ("AWS.SSM.DecryptSSMParams", "Accessed Parameters Aren't Encrypted"),
        ("AWS.SSM.DecryptSSMParams", "Unrelated Event"),
    ],
    "ec2_user_data_download": [
        ("AWS.EC2.DownloadInstanceUserData", "Unsuccessful Attempt"),
        ("AWS.EC2.DownloadInstanceUserData", "Successful Attempt"),
    ],
    "ses_enumeration": [
        ("AWS.CloudTrail.SES.CheckSendQuota", "GetSendQuota Event"),
        (
            "AWS.CloudTrail.SES.CheckSendQuota",
            "GetSendQuota from Trusted Advisor (Should Not Alert)",
        ),
        ("AWS.CloudTrail.SES.ListIdentities", "ListIdentities Event"),
    ],
    "ssm_command_sweep": [
        ("AWS.SSM.DistributedCommand", "Send Command to Many Instances at Once"),
        ("AWS.SSM.DistributedCommand", "Unrelated Event"),
    ],
    "instance_connect_sweep": [
        (
            "AWS.EC2.MultiInstanceConnect",
            "Public SSH Key Sent Successfully - Counts Toward Threshold",
        ),
        ("AWS.EC2.MultiInstanceConnect", "Public SSH Key Not Sent Successfully"),
        ("AWS.EC2.MultiInstanceConnect", "Unrelated Event"),
    ],
    "secrets_batch_paging": [
        ("AWS.SecretsManager.BatchRetrieveSecrets", "BatchGetSecretValue"),
    ],
    "secrets_mass_retrieval": [
        ("AWS.SecretsManager.RetrieveSecrets", "GetSecretValue Denied"),
    ],
}

# Cases where trailguard follows GuardDuty rather than Panther: (rule, panther id, test) -> ours.
DISAGREE: dict[tuple[str, str, str], bool] = {
    # GuardDuty reports every root call; Panther allow-lists service-linked roles and reads.
    ("root_credential_usage", "AWS.Root.Activity", "Root Activity - CreateServiceLinkedRole"): True,
    ("root_credential_usage", "AWS.Root.Activity", "Root Read-Only Enumeration"): True,
    # Panther suppresses users created minutes before (a lookup table trailguard does not keep).
    ("console_login_without_mfa", "AWS.Console.LoginWithoutMFA", "No MFA Login - New User"): True,
    # Panther flags any security group change; SSH opened to 127.0.0.1/32 is not the world.
    ("admin_port_open_to_world", "AWS.EC2.SecurityGroupModified", "Security Group Modified"): False,
    # An AMI shared with one other account leaves the organisation (Stratus ec2-share-ami);
    # Panther's rule only looks for public images.
    (
        "ami_shared_externally",
        "AWS.CloudTrail.AMIModifiedForPublicAccess",
        "AMI Added to User",
    ): True,
    # Panther flags every AddPermission; opening a function to its own account is routine.
    (
        "lambda_public_invoke_permission",
        "AWS.Potential.Backdoor.Lambda",
        "Lambda Add Permission Event",
    ): False,
    # A scanner reading user data counts like anyone (suppress scanners by principal).
    (
        "ec2_user_data_download",
        "AWS.EC2.DownloadInstanceUserData",
        "Panther Cloud Security Scanning",
    ): True,
    # One SendCommand to one instance counts toward the threshold; Panther's own test needs
    # its cache of earlier instances.
    ("ssm_command_sweep", "AWS.SSM.DistributedCommand", "Single Command Send, No Cached IDs"): True,
    # An AWS address is GuardDuty's InsideAWS case, not OutsideAWS.
    (
        "instance_credentials_outside_aws",
        "AWS.CloudTrail.IMDSCredentialExfiltration",
        "IMDS Credentials Used From Amazon.com ASN Source IP",
    ): False,
}


def _panther() -> dict[tuple[str, str], dict[str, Any]]:
    cases: dict[tuple[str, str], dict[str, Any]] = {}
    with (PANTHER / "panther_aws_cloudtrail_rule_tests.ndjson").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                label = record.pop("_label")
                # Some of Panther's events lack eventTime (or redact it); the rules never read it.
                if not str(record.get("eventTime", "")).startswith(("19", "20")):
                    record["eventTime"] = "2024-01-01T00:00:00Z"
                cases[(label["rule_id"], label["test_name"])] = {"record": record, **label}
    return cases


PANTHER_CASES = _panther()
RULES = load_rules()


def _params() -> list[Any]:
    params = []
    for rule_id, cases in CASES.items():
        for panther_id, test in cases:
            expected = PANTHER_CASES[(panther_id, test)]["expected_alert"]
            params.append(pytest.param(rule_id, panther_id, test, expected, id=f"{rule_id}:{test}"))
    for rule_id, cases in COUNTS.items():
        for panther_id, test in cases:
            expected = PANTHER_CASES[(panther_id, test)]["expected_alert"]
            params.append(pytest.param(rule_id, panther_id, test, expected, id=f"{rule_id}:{test}"))
    for (rule_id, panther_id, test), ours in DISAGREE.items():
        params.append(pytest.param(rule_id, panther_id, test, ours, id=f"{rule_id}:{test}*"))
    return params


@pytest.mark.parametrize(("rule_id", "panther_id", "test", "expected"), _params())
def test_rule_agrees_with_labelled_event(
    rule_id: str, panther_id: str, test: str, expected: bool
) -> None:
    event = rule_event(PANTHER_CASES[(panther_id, test)]["record"])
    assert RULES[rule_id].matches(event) is expected
