"""Security Hub payloads: ASFF as BatchImportFindings expects it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from trailguard.pipeline.export.securityhub import (
    asff_types,
    check_role_pattern,
    role_arn,
    to_payload,
)
from trailguard.pipeline.findings.store import Finding


def asff(finding: Finding) -> dict[str, Any]:
    return to_payload(finding, account_id="123456789012", region="us-east-1")


@pytest.mark.parametrize(("kind", "make"), [("rule", rule_finding), ("ml", ml_finding)])
def test_standard_findings_match_their_golden_asff(kind: str, make: Any) -> None:
    assert_golden(f"asff_{kind}.json", asff(make()))


def test_asff_has_every_attribute_batch_import_requires() -> None:
    required = {
        "SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
        "CreatedAt", "UpdatedAt", "Severity", "Title", "Description", "Resources",
    }  # fmt: skip
    payload = asff(ml_finding())

    assert required <= payload.keys()
    assert payload["Id"] == ml_finding().finding_id
    assert payload["Severity"] == {"Label": "MEDIUM", "Original": "5.0"}
    assert all(isinstance(v, str) for v in payload["ProductFields"].values())


@pytest.mark.parametrize(
    ("finding_type", "expected"),
    [
        (
            "Discovery:IAMUser/AnomalousBehavior",
            ["TTPs/Discovery/Discovery:IAMUser-AnomalousBehavior", "Unusual Behaviors/User"],
        ),
        (
            "Stealth:IAMUser/CloudTrailLoggingDisabled",
            ["TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"],
        ),
        (
            "Exfiltration:S3/AnomalousBehavior",
            [
                "Effects/Data Exfiltration/Exfiltration:S3-AnomalousBehavior",
                "Unusual Behaviors/User",
            ],
        ),
        (
            "Policy:IAMUser/RootCredentialUsage",
            [
                "Software and Configuration Checks/AWS Security Best Practices/"
                "Policy:IAMUser-RootCredentialUsage"
            ],
        ),
    ],
)
def test_types_follow_asff_namespace_category_classifier(
    finding_type: str, expected: list[str]
) -> None:
    assert asff_types(finding_type) == expected


def test_long_titles_and_descriptions_are_cut_to_asff_limits() -> None:
    payload = asff(rule_finding(title="t" * 400, description="d" * 2000))

    assert len(payload["Title"]) == 256 and len(payload["Description"]) == 1024


def test_archived_finding_is_an_archived_record_and_updates_carry_a_newer_updated_at() -> None:
    from datetime import timedelta

    first = rule_finding()
    assert first.updated_at is not None
    later = rule_finding(version=2, updated_at=first.updated_at + timedelta(hours=1))

    assert asff(rule_finding(status="archived"))["RecordState"] == "ARCHIVED"
    assert asff(later)["Id"] == asff(first)["Id"]
    assert asff(later)["UpdatedAt"] > asff(first)["UpdatedAt"]


def test_a_finding_is_imported_as_its_own_accounts_default_product() -> None:
    payload = asff(rule_finding())
    orphan = asff(rule_finding(account_id=None))

    assert payload["AwsAccountId"] == "111122223333"
    assert payload["ProductArn"] == (
        "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
    )
    assert orphan["AwsAccountId"] == "123456789012"
    assert orphan["ProductArn"].endswith(":123456789012:product/123456789012/default")


def test_provider_fields_carry_severity_types_and_a_rules_confidence() -> None:
    rule, ml = asff(rule_finding()), asff(ml_finding())

    assert rule["FindingProviderFields"] == {
        "Severity": rule["Severity"],
        "Types": rule["Types"],
        "Confidence": 100,
    }
    assert ml["FindingProviderFields"] == {"Severity": ml["Severity"], "Types": ml["Types"]}


def test_each_resource_id_has_the_form_of_its_type() -> None:
    user = asff(rule_finding())["Resources"][0]
    role = asff(ml_finding())["Resources"][0]
    session = "arn:aws:sts::111122223333:assumed-role/ci-deployer/build-4711"
    assumed = asff(rule_finding(principal=session))["Resources"][0]
    root = asff(rule_finding(principal="arn:aws:iam::111122223333:root"))["Resources"][0]

    assert (user["Type"], user["Id"]) == ("AwsIamUser", "arn:aws:iam::111122223333:user/alice")
    assert (role["Type"], role["Id"]) == (
        "AwsIamRole",
        "arn:aws:iam::111122223333:role/ci-deployer",
    )
    assert (assumed["Type"], assumed["Id"]) == (
        "AwsIamRole",
        "arn:aws:iam::111122223333:role/ci-deployer",
    )
    assert assumed["Details"]["Other"] == {"SessionArn": session, "SessionName": "build-4711"}
    assert (root["Type"], root["Id"]) == ("AwsAccount", "AWS::::Account:111122223333")
    assert root["Details"]["Other"] == {"PrincipalArn": "arn:aws:iam::111122223333:root"}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        (
            "arn:aws:iam::{account}:role/TrailguardSecurityHubImport",
            "arn:aws:iam::444455556666:role/TrailguardSecurityHubImport",
        ),
        (
            "TrailguardSecurityHubImport",
            "arn:aws:iam::444455556666:role/TrailguardSecurityHubImport",
        ),
        ("security/Import", "arn:aws:iam::444455556666:role/security/Import"),
    ],
)
def test_the_role_pattern_names_the_role_of_each_account(pattern: str, expected: str) -> None:
    assert role_arn(pattern, "444455556666") == expected


def test_a_role_arn_without_the_account_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must contain \{account\}"):
        check_role_pattern("arn:aws:iam::111122223333:role/Import")
