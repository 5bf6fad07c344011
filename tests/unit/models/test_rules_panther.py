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
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Made Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Not Made Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "AMI Launch Permissions Not Modified"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "Error Making AMI Public"),
        ("AWS.CloudTrail.AMIModifiedForPublicAccess", "Access Granted To Unknown User"),
        ("AWS.RDS.SnapshotShared", "Snapshot shared with another account"),
        ("AWS.RDS.SnapshotShared", "Snapshot shared with no accounts"),
    ],
    "bucket_shared_externally": [
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

# Cases where trailguard follows GuardDuty rather than Panther: (rule, panther id, test) -> ours.
DISAGREE: dict[tuple[str, str, str], bool] = {
    # GuardDuty reports every root call; Panther allow-lists service-linked roles and reads.
    ("root_credential_usage", "AWS.Root.Activity", "Root Activity - CreateServiceLinkedRole"): True,
    ("root_credential_usage", "AWS.Root.Activity", "Root Read-Only Enumeration"): True,
    # Panther suppresses users created minutes before (a lookup table trailguard does not keep).
    ("console_login_without_mfa", "AWS.Console.LoginWithoutMFA", "No MFA Login - New User"): True,
    # Panther flags any security group change; SSH opened to 127.0.0.1/32 is not the world.
    ("admin_port_open_to_world", "AWS.EC2.SecurityGroupModified", "Security Group Modified"): False,
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
    for (rule_id, panther_id, test), ours in DISAGREE.items():
        params.append(pytest.param(rule_id, panther_id, test, ours, id=f"{rule_id}:{test}*"))
    return params


@pytest.mark.parametrize(("rule_id", "panther_id", "test", "expected"), _params())
def test_rule_agrees_with_labelled_event(
    rule_id: str, panther_id: str, test: str, expected: bool
) -> None:
    event = rule_event(PANTHER_CASES[(panther_id, test)]["record"])
    assert RULES[rule_id].matches(event) is expected


def test_every_rule_has_a_positive_and_a_negative_panther_or_factory_case() -> None:
    outcomes: dict[str, set[bool]] = {}
    for rule_id, cases in CASES.items():
        for panther_id, test in cases:
            outcomes.setdefault(rule_id, set()).add(
                PANTHER_CASES[(panther_id, test)]["expected_alert"]
            )
    covered_by_factory = {
        "guardduty_detector_deleted",
        "pentest_user_agent",
        "admin_port_open_to_world",
        "leave_organization",
    }
    for rule_id in RULES:
        assert outcomes.get(rule_id) == {True, False} or rule_id in covered_by_factory, rule_id
