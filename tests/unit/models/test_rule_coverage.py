"""The rule pack as a whole: every Stratus Red Team AWS technique is claimed by a rule, every rule
is tested both ways, and every rule's type follows the naming scheme of docs/detection.md."""

from __future__ import annotations

import re

from tests.unit.models import test_rule_windows, test_rules_crafted, test_rules_panther
from trailguard.models.registry import load_rules
from trailguard.pipeline.findings.attack import technique_for

RULES = load_rules()

# Stratus Red Team's AWS techniques (issue 17), by their ids.
STRATUS_AWS = (
    "aws.credential-access.ec2-get-password-data",
    "aws.credential-access.ec2-steal-instance-credentials",
    "aws.credential-access.secretsmanager-batch-retrieve-secrets",
    "aws.credential-access.secretsmanager-retrieve-secrets",
    "aws.credential-access.ssm-retrieve-securestring-parameters",
    "aws.defense-evasion.cloudtrail-delete",
    "aws.defense-evasion.cloudtrail-event-selectors",
    "aws.defense-evasion.cloudtrail-lifecycle-rule",
    "aws.defense-evasion.cloudtrail-stop",
    "aws.defense-evasion.dns-delete-logs",
    "aws.defense-evasion.organizations-leave",
    "aws.defense-evasion.vpc-remove-flow-logs",
    "aws.discovery.ec2-download-user-data",
    "aws.discovery.ec2-enumerate-from-instance",
    "aws.discovery.ses-enumerate",
    "aws.execution.ec2-launch-unusual-instances",
    "aws.execution.ec2-user-data",
    "aws.execution.sagemaker-update-lifecycle-config",
    "aws.execution.ssm-send-command",
    "aws.execution.ssm-start-session",
    "aws.exfiltration.ec2-security-group-open-port-22-ingress",
    "aws.exfiltration.ec2-share-ami",
    "aws.exfiltration.ec2-share-ebs-snapshot",
    "aws.exfiltration.rds-share-snapshot",
    "aws.exfiltration.s3-backdoor-bucket-policy",
    "aws.impact.bedrock-invoke-model",
    "aws.impact.ec2-deregister-ami",
    "aws.impact.s3-ransomware-batch-deletion",
    "aws.impact.s3-ransomware-client-side-encryption",
    "aws.impact.s3-ransomware-individual-deletion",
    "aws.initial-access.console-login-without-mfa",
    "aws.lateral-movement.ec2-instance-connect",
    "aws.lateral-movement.ec2-serial-console-send-ssh-public-key",
    "aws.persistence.iam-backdoor-role",
    "aws.persistence.iam-backdoor-user",
    "aws.persistence.iam-create-admin-user",
    "aws.persistence.iam-create-backdoor-role",
    "aws.persistence.iam-create-user-login-profile",
    "aws.persistence.lambda-backdoor-function",
    "aws.persistence.lambda-layer-extension",
    "aws.persistence.lambda-overwrite-code",
    "aws.persistence.rolesanywhere-create-trust-anchor",
    "aws.persistence.sts-federation-token",
    "aws.privilege-escalation.iam-update-user-login-profile",
)

# Rules whose cases are the named tests of test_rules_factory.py.
FACTORY_TESTED = {
    "guardduty_detector_deleted",
    "admin_port_open_to_world",
    "leave_organization",
    "pentest_kali_linux",
    "bucket_shared_externally",
}
_TYPE = re.compile(r"^[A-Z][A-Za-z]+:[A-Z][A-Za-z0-9]+/[A-Z][A-Za-z0-9]+(?:\.[A-Za-z0-9]+)?$")


def test_every_stratus_technique_is_claimed_by_a_rule() -> None:
    claimed = {s for rule in RULES.values() for s in rule.stratus}
    assert len(STRATUS_AWS) == 44
    assert sorted(set(STRATUS_AWS) - claimed) == []


def test_every_rule_is_tested_both_ways() -> None:
    outcomes: dict[str, set[bool]] = {r: set() for r in RULES}
    panther = test_rules_panther.PANTHER_CASES
    for table in (test_rules_panther.CASES, test_rules_panther.COUNTS):
        for rule_id, cases in table.items():
            outcomes[rule_id].update(panther[c]["expected_alert"] for c in cases)
    for (rule_id, _, _), ours in test_rules_panther.DISAGREE.items():
        outcomes[rule_id].add(ours)
    for rule_id, _, _, _, expected in test_rules_crafted.CASES:
        outcomes[rule_id].add(expected)
    for rule_id, _, _, matched in test_rule_windows.WINDOW_CASES:
        outcomes[rule_id].add(matched > 0)
    untested = [r for r, seen in outcomes.items() if seen != {True, False}]
    assert sorted(set(untested) - FACTORY_TESTED) == []


def test_rule_types_follow_the_scheme_and_map_to_a_tactic() -> None:
    for rule in RULES.values():
        assert _TYPE.match(rule.finding_type), rule.rule_id
        assert "AnomalousBehavior" not in rule.finding_type, rule.rule_id
        purpose = rule.finding_type.split(":", 1)[0]
        if purpose not in ("Policy", "PenTest"):
            assert technique_for(rule.finding_type) is not None, rule.finding_type


def test_every_rule_names_its_attack_technique() -> None:
    for rule in RULES.values():
        if not rule.finding_type.startswith("PenTest:"):
            assert rule.attack, rule.rule_id
        assert all(re.match(r"^T\d{4}(?:\.\d{3})?$", t) for t in rule.attack), rule.rule_id


def test_the_technique_a_type_implies_is_among_the_rule_s_own() -> None:
    for rule in RULES.values():
        implied = technique_for(rule.finding_type)
        uid = implied and (implied.sub_technique_uid or implied.technique_uid)
        if uid:
            related = [a for a in rule.attack if a.startswith(uid) or uid.startswith(a)]
            assert related, (rule.rule_id, uid, rule.attack)
