"""ATT&CK tactic and technique implied by a finding type, and where nothing is implied."""

from __future__ import annotations

import pytest

from tests.helpers.findings import rule_finding
from trailguard.pipeline.export.ocsf import to_payload
from trailguard.pipeline.findings.attack import attack_url, technique_for


@pytest.mark.parametrize(
    ("finding_type", "tactic", "technique", "sub_technique"),
    [
        ("Stealth:IAMUser/CloudTrailLoggingDisabled", "TA0005", "T1562", "T1562.008"),
        ("Discovery:IAMUser/AnomalousBehavior", "TA0007", "T1580", None),
        (
            "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
            "TA0006",
            "T1552",
            "T1552.005",
        ),
        ("Persistence:IAMUser/AnomalousBehavior", "TA0003", "T1098", None),
        ("Exfiltration:S3/AnomalousBehavior", "TA0010", "T1537", None),
        ("CredentialAccess:IAMUser/AnomalousBehavior", "TA0006", "T1555", "T1555.006"),
        ("Impact:IAMUser/AnomalousBehavior", "TA0040", None, None),
        ("UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B", "TA0001", "T1078", "T1078.004"),
        ("DefenseEvasion:IAMUser/GuardDutyDetectorDisabled", "TA0005", "T1562", "T1562.001"),
        ("DefenseEvasion:IAMUser/LeaveOrganization", "TA0005", "T1666", None),
    ],
)
def test_types_map_to_their_attack_tactic_and_technique(
    finding_type: str, tactic: str, technique: str | None, sub_technique: str | None
) -> None:
    found = technique_for(finding_type)

    assert found is not None
    assert (found.tactic_uid, found.technique_uid, found.sub_technique_uid) == (
        tactic,
        technique,
        sub_technique,
    )


@pytest.mark.parametrize(
    "finding_type", ["Policy:IAMUser/RootCredentialUsage", "PenTest:IAMUser/KaliLinux", "Odd"]
)
def test_types_that_imply_no_technique_get_no_attack(finding_type: str) -> None:
    assert technique_for(finding_type) is None
    assert "attacks" not in to_payload(rule_finding(type=finding_type))["finding_info"]


def test_the_payload_carries_the_attack_with_links() -> None:
    attacks = to_payload(rule_finding())["finding_info"]["attacks"]

    assert attacks == [
        {
            "version": "16.1",
            "tactic": {
                "uid": "TA0005",
                "name": "Defense Evasion",
                "src_url": "https://attack.mitre.org/tactics/TA0005/",
            },
            "technique": {
                "uid": "T1562",
                "name": "Impair Defenses",
                "src_url": "https://attack.mitre.org/techniques/T1562/",
            },
            "sub_technique": {
                "uid": "T1562.008",
                "name": "Disable or Modify Cloud Logs",
                "src_url": "https://attack.mitre.org/techniques/T1562/008/",
            },
        }
    ]
    assert attack_url("T1078.004") == "https://attack.mitre.org/techniques/T1078/004/"
