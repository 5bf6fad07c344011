"""Security Hub payloads: ASFF as BatchImportFindings expects it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from trailguard.pipeline.export.securityhub import asff_types, to_payload
from trailguard.pipeline.findings.store import Finding

ARN = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"


def asff(finding: Finding) -> dict[str, Any]:
    return to_payload(finding, product_arn=ARN, account_id="123456789012", region="us-east-1")


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


def test_resource_type_follows_the_principal() -> None:
    assert asff(rule_finding())["Resources"][0]["Type"] == "AwsIamUser"
    assert asff(ml_finding())["Resources"][0]["Type"] == "AwsIamRole"
    root = rule_finding(principal="arn:aws:iam::111122223333:root")
    assert asff(root)["Resources"][0]["Type"] == "AwsAccount"
