"""Exact rules of the rule pack on crafted events: a positive and a negative case for each rule
(or side of a rule) that Panther's labelled events do not carry.

A case is (rule, what it shows, the record's overrides, the context, expected).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest

from tests.factories import assumed_role_identity, cloudtrail_event, rule_event
from trailguard.models.registry import load_rules
from trailguard.models.rules.base import RuleContext

RULES = load_rules()
ORG = RuleContext(org_accounts=frozenset({"111122223333", "444455556666"}))
OUTSIDE = "193672423079"
_SSO = assumed_role_identity(role="AWSReservedSSO_Admin_0123456789abcdef", session="alice")
_CI = assumed_role_identity(role="github-deploy", session="deploy-4411")


def _trust(principal: object, condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


_EVERYTHING = json.dumps({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
_READ_S3 = json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}]})

Case = tuple[str, str, dict[str, Any], RuleContext, bool]
CASES: list[Case] = [
    ("pentest_parrot_linux", "Parrot", {"userAgent": "aws-cli/2 Linux/6.1-parrot"}, ORG, True),
    ("pentest_parrot_linux", "plain CLI", {}, ORG, False),
    ("pentest_pentoo_linux", "Pentoo", {"userAgent": "Boto3/1.34 Linux/6.6-pentoo"}, ORG, True),
    ("pentest_pentoo_linux", "plain CLI", {}, ORG, False),
    (
        "bucket_public_access_granted",
        "authenticated-read ACL",
        {
            "eventName": "PutBucketAcl",
            "requestParameters": {"bucketName": "b", "x-amz-acl": "authenticated-read"},
        },
        ORG,
        True,
    ),
    (
        "bucket_public_access_granted",
        "private ACL",
        {
            "eventName": "PutBucketAcl",
            "requestParameters": {"bucketName": "b", "x-amz-acl": "private"},
        },
        ORG,
        False,
    ),
    (
        "account_block_public_access_disabled",
        "account block deleted",
        {"eventName": "DeleteAccountPublicAccessBlock"},
        ORG,
        True,
    ),
    (
        "account_block_public_access_disabled",
        "account block put fully on",
        {
            "eventName": "PutAccountPublicAccessBlock",
            "requestParameters": {
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "IgnorePublicAcls": True,
                    "BlockPublicPolicy": True,
                    "RestrictPublicBuckets": True,
                }
            },
        },
        ORG,
        False,
    ),
    (
        "dns_query_logging_deleted",
        "deletion denied",
        {"eventName": "DeleteResolverQueryLogConfig", "errorCode": "AccessDeniedException"},
        ORG,
        False,
    ),
    ("vpc_flow_logs_deleted", "listing flow logs", {"eventName": "DescribeFlowLogs"}, ORG, False),
    (
        "password_policy_changed",
        "8-character minimum",
        {
            "eventName": "UpdateAccountPasswordPolicy",
            "requestParameters": {"minimumPasswordLength": 8},
        },
        ORG,
        True,
    ),
    (
        "password_policy_changed",
        "strong policy",
        {
            "eventName": "UpdateAccountPasswordPolicy",
            "requestParameters": {
                "minimumPasswordLength": 16,
                "requireSymbols": True,
                "requireNumbers": True,
                "requireUppercaseCharacters": True,
            },
        },
        ORG,
        False,
    ),
    (
        "short_term_root_credential_usage",
        "AssumeRoot session",
        {
            "userIdentity__type": "Root",
            "userIdentity__arn": "arn:aws:iam::111122223333:root",
            "userIdentity__assumedRoot": "true",
            "eventName": "DeleteBucketPolicy",
        },
        ORG,
        True,
    ),
    (
        "short_term_root_credential_usage",
        "root sign-in session",
        {"userIdentity__type": "Root", "userIdentity__arn": "arn:aws:iam::111122223333:root"},
        ORG,
        False,
    ),
    (
        "root_credential_usage",
        "AssumeRoot session is the short-term finding",
        {"userIdentity__type": "Root", "userIdentity__assumedRoot": "true"},
        ORG,
        False,
    ),
    (
        "ec2_unusual_instance_types",
        "general purpose fleet",
        {"eventName": "RunInstances", "requestParameters": {"instanceType": "m6i.large"}},
        ORG,
        False,
    ),
    (
        "sagemaker_lifecycle_config",
        "script attached",
        {
            "eventName": "UpdateNotebookInstance",
            "requestParameters": {"notebookInstanceName": "nb", "lifecycleConfigName": "x"},
        },
        ORG,
        True,
    ),
    (
        "sagemaker_lifecycle_config",
        "instance resized",
        {
            "eventName": "UpdateNotebookInstance",
            "requestParameters": {"notebookInstanceName": "nb", "instanceType": "ml.t3.large"},
        },
        ORG,
        False,
    ),
    (
        "serial_console_key_pushed",
        "key pushed",
        {"eventName": "SendSerialConsoleSSHPublicKey", "requestParameters": {"instanceId": "i-1"}},
        ORG,
        True,
    ),
    (
        "serial_console_key_pushed",
        "denied",
        {"eventName": "EnableSerialConsoleAccess", "errorCode": "UnauthorizedOperation"},
        ORG,
        False,
    ),
    (
        "role_trusts_outside_account",
        "new role trusting an outside account",
        {
            "eventName": "CreateRole",
            "requestParameters": {
                "roleName": "backdoor",
                "assumeRolePolicyDocument": _trust({"AWS": f"arn:aws:iam::{OUTSIDE}:root"}),
            },
        },
        ORG,
        True,
    ),
    (
        "role_trusts_outside_account",
        "vendor role with an external id",
        {
            "eventName": "CreateRole",
            "requestParameters": {
                "roleName": "DatadogIntegration",
                "assumeRolePolicyDocument": _trust(
                    {"AWS": f"arn:aws:iam::{OUTSIDE}:root"},
                    {"StringEquals": {"sts:ExternalId": "abc"}},
                ),
            },
        },
        ORG,
        False,
    ),
    (
        "role_trusts_outside_account",
        "role trusting another account of the organisation",
        {
            "eventName": "UpdateAssumeRolePolicy",
            "requestParameters": {
                "roleName": "cross",
                "policyDocument": quote(_trust({"AWS": "arn:aws:iam::444455556666:root"})),
            },
        },
        ORG,
        False,
    ),
    (
        "login_profile_created_for_other_user",
        "password given to a service user",
        {"eventName": "CreateLoginProfile", "requestParameters": {"userName": "svc-backup"}},
        ORG,
        True,
    ),
    (
        "login_profile_created_for_other_user",
        "own password",
        {"eventName": "CreateLoginProfile", "requestParameters": {"userName": "alice"}},
        ORG,
        False,
    ),
    (
        "admin_policy_granted",
        "URL-encoded inline * on *",
        {
            "eventName": "PutUserPolicy",
            "requestParameters": {"userName": "bob", "policyDocument": quote(_EVERYTHING)},
        },
        ORG,
        True,
    ),
    (
        "admin_policy_granted",
        "inline read-only policy",
        {
            "eventName": "PutRolePolicy",
            "requestParameters": {"roleName": "app", "policyDocument": _READ_S3},
        },
        ORG,
        False,
    ),
    (
        "policy_version_set_as_default",
        "default version allowing everything",
        {
            "eventName": "CreatePolicyVersion",
            "requestParameters": {
                "policyArn": "arn:aws:iam::111122223333:policy/dev",
                "policyDocument": quote(_EVERYTHING),
                "setAsDefault": True,
            },
        },
        ORG,
        True,
    ),
    (
        "policy_version_set_as_default",
        "terraform updating a narrow policy",
        {
            "eventName": "CreatePolicyVersion",
            "requestParameters": {
                "policyArn": "arn:aws:iam::111122223333:policy/dev",
                "policyDocument": _READ_S3,
                "setAsDefault": True,
            },
        },
        ORG,
        False,
    ),
    (
        "role_passed_to_compute",
        "admin role passed to a new function",
        {
            "eventName": "CreateFunction20150331",
            "requestParameters": {
                "functionName": "f",
                "role": "arn:aws:iam::111122223333:role/platform-root",
            },
        },
        RuleContext(admin_roles=frozenset({"platform-root"})),
        True,
    ),
    (
        "role_passed_to_compute",
        "function given its own narrow role",
        {
            "eventName": "CreateFunction20150331",
            "requestParameters": {
                "functionName": "f",
                "role": "arn:aws:iam::111122223333:role/thumbnailer",
            },
        },
        ORG,
        False,
    ),
    (
        "role_passed_to_compute",
        "instance launched with the organisation access role",
        {
            "eventName": "RunInstances",
            "requestParameters": {
                "instanceType": "t3.micro",
                "iamInstanceProfile": {"name": "OrganizationAccountAccessRole"},
            },
        },
        ORG,
        True,
    ),
    ("federation_token_issued", "token minted", {"eventName": "GetFederationToken"}, ORG, True),
    (
        "federation_token_issued",
        "denied",
        {"eventName": "GetFederationToken", "errorCode": "AccessDenied"},
        ORG,
        False,
    ),
    (
        "lambda_public_invoke_permission",
        "function opened to everyone",
        {
            "eventSource": "lambda.amazonaws.com",
            "eventName": "AddPermission20150331v2",
            "requestParameters": {"functionName": "f", "principal": "*"},
        },
        ORG,
        True,
    ),
    (
        "lambda_public_invoke_permission",
        "function opened to S3",
        {
            "eventSource": "lambda.amazonaws.com",
            "eventName": "AddPermission20150331v2",
            "requestParameters": {"functionName": "f", "principal": "s3.amazonaws.com"},
        },
        ORG,
        False,
    ),
    (
        "lambda_layer_added",
        "pipeline adding a layer of an outside account",
        {
            "userIdentity": _CI,
            "eventName": "UpdateFunctionConfiguration20150331v2",
            "requestParameters": {
                "functionName": "f",
                "layers": [f"arn:aws:lambda:us-east-1:{OUTSIDE}:layer:spy:1"],
            },
        },
        ORG,
        True,
    ),
    (
        "rolesanywhere_trust_anchor",
        "trust anchor created",
        {"eventSource": "rolesanywhere.amazonaws.com", "eventName": "CreateTrustAnchor"},
        ORG,
        True,
    ),
    (
        "rolesanywhere_trust_anchor",
        "trust anchors listed",
        {"eventSource": "rolesanywhere.amazonaws.com", "eventName": "ListTrustAnchors"},
        ORG,
        False,
    ),
    (
        "bedrock_invoked_by_user_key",
        "IAM user key",
        {
            "eventSource": "bedrock.amazonaws.com",
            "eventName": "InvokeModel",
            "requestParameters": {"modelId": "anthropic.claude-v2"},
        },
        ORG,
        True,
    ),
    (
        "bedrock_invoked_by_user_key",
        "application role",
        {
            "userIdentity": _CI,
            "eventSource": "bedrock.amazonaws.com",
            "eventName": "InvokeModel",
            "requestParameters": {"modelId": "anthropic.claude-v2"},
        },
        ORG,
        False,
    ),
    (
        "lambda_code_overwritten",
        "Identity Center session",
        {"userIdentity": _SSO, "eventName": "UpdateFunctionCode20150331v2"},
        ORG,
        True,
    ),
    (
        "cloudtrail_bucket_lifecycle",
        "trail bucket seen in CreateTrail",
        {
            "eventName": "PutBucketLifecycle",
            "requestParameters": {
                "bucketName": "org-audit-logs",
                "LifecycleConfiguration": {
                    "Rule": [{"Status": "Enabled", "Expiration": {"Days": 7}}]
                },
            },
        },
        RuleContext(trail_buckets=frozenset({"org-audit-logs"})),
        True,
    ),
    (
        "cloudtrail_bucket_lifecycle",
        "one-day expiry on a scratch bucket",
        {
            "eventName": "PutBucketLifecycle",
            "requestParameters": {
                "bucketName": "athena-scratch",
                "LifecycleConfiguration": {
                    "Rule": {"Status": "Enabled", "Expiration": {"Days": 1}}
                },
            },
        },
        RuleContext(trail_buckets=frozenset({"org-audit-logs"})),
        False,
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "overrides", "context", "expected"),
    [pytest.param(r, o, c, e, id=f"{r}:{what}") for r, what, o, c, e in CASES],
)
def test_rule_on_crafted_event(
    rule_id: str, overrides: dict[str, Any], context: RuleContext, expected: bool
) -> None:
    event = rule_event(cloudtrail_event(**overrides))
    assert RULES[rule_id].matches(event, context) is expected


def test_a_description_names_the_resource_and_the_principal() -> None:
    event = rule_event(
        cloudtrail_event(
            eventSource="cloudtrail.amazonaws.com",
            eventName="StopLogging",
            requestParameters={"name": "org-trail"},
        )
    )
    line = RULES["cloudtrail_logging_disabled"].description_of(event)
    assert line.startswith("CloudTrail trail org-trail was stopped by ")
    assert "198.51.100.23" in line
