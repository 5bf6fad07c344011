"""Security Hub payloads: ASFF as BatchImportFindings expects it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from trailguard.pipeline.export.asff import asff_types, to_payload
from trailguard.pipeline.export.base import DestinationUnavailable, Rejection
from trailguard.pipeline.export.decision import workflow_requests
from trailguard.pipeline.export.securityhub import check_role_pattern, role_arn, send_workflow
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


ARN = "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"


def decided(n: int, **changes: Any) -> Finding:
    """The n-th of a set of distinct findings, with the decision in `changes`."""
    return rule_finding(finding_id=f"f{n:03d}", **changes)


def test_a_decision_becomes_the_customers_workflow_and_note() -> None:
    archived = decided(1, status="archived", status_by="ana", status_reason="approved change")
    reopened = decided(2, status_by="ana", status_reason="not approved after all")

    requests = workflow_requests([archived, reopened, decided(3)], ARN)

    assert requests == [
        {
            "FindingIdentifiers": [{"Id": "f001", "ProductArn": ARN}],
            "Workflow": {"Status": "SUPPRESSED"},
            "Note": {"Text": "approved change", "UpdatedBy": "ana"},
        },
        {
            "FindingIdentifiers": [{"Id": "f002", "ProductArn": ARN}],
            "Workflow": {"Status": "NEW"},
            "Note": {"Text": "not approved after all", "UpdatedBy": "ana"},
        },
    ]  # the undecided finding costs no call: its Workflow is left to the console


def test_findings_decided_alike_share_a_request_of_at_most_100() -> None:
    alike = [
        decided(i, status="archived", status_by="suppression", status_reason="scanner")
        for i in range(150)
    ]
    long_reason = decided(999, status="archived", status_by="ana", status_reason="x" * 600)

    requests = workflow_requests([*alike, long_reason], ARN)

    assert [len(r["FindingIdentifiers"]) for r in requests] == [100, 50, 1]
    assert requests[0]["Note"] == {"Text": "scanner", "UpdatedBy": "suppression"}
    assert len(requests[2]["Note"]["Text"]) == 512  # ASFF's limit for a note


class UpdateClient:
    """A Security Hub client whose BatchUpdateFindings answers with `unprocessed`."""

    def __init__(self, unprocessed: list[dict[str, Any]]) -> None:
        self.unprocessed = unprocessed
        self.calls: list[dict[str, Any]] = []

    def batch_update_findings(self, **request: Any) -> dict[str, Any]:
        self.calls.append(request)
        return {"ProcessedFindings": [], "UnprocessedFindings": self.unprocessed}


def unprocessed(finding_id: str, code: str) -> dict[str, Any]:
    identifier = {"Id": finding_id, "ProductArn": ARN}
    return {"FindingIdentifier": identifier, "ErrorCode": code, "ErrorMessage": code}


def test_a_decision_security_hub_does_not_process_is_a_rejection_of_that_revision() -> None:
    finding = decided(1, status="archived", status_by="ana", status_reason="r", revision=12)
    client = UpdateClient([unprocessed("f001", "InvalidInput")])

    rejected = send_workflow(client, [finding, decided(2)], ARN, "securityhub:us-east-1")

    assert len(client.calls) == 1
    assert rejected == [Rejection("f001", 12, "BatchUpdateFindings InvalidInput: InvalidInput")]


@pytest.mark.parametrize("code", ["ConcurrentUpdateError", "InternalFailure", "FindingNotFound"])
def test_a_transient_update_failure_leaves_the_batch_for_another_attempt(code: str) -> None:
    # AWS names BatchUpdateFindings right after BatchImportFindings as a cause of
    # ConcurrentUpdateError; a finding just imported may not be found yet.
    finding = decided(1, status="archived", status_by="ana", status_reason="r")
    client = UpdateClient([unprocessed("f001", code)])

    with pytest.raises(DestinationUnavailable, match=code):
        send_workflow(client, [finding], ARN, "securityhub:us-east-1")
