"""Attack sequences (pipeline/detect/sequence_signals.py and sequence_findings.py): which
findings of one identity tie into one `AttackSequence:IAM/CompromisedCredentials`, and which
never do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from trailguard.pipeline.detect.sequence_findings import (
    SEQUENCE_TYPE,
    AttackSequence,
    to_sequences,
)
from trailguard.pipeline.detect.sequence_signals import Link, to_signals
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding

T0 = datetime(2026, 10, 14, 16, tzinfo=UTC)
ALICE = "arn:aws:iam::111111111111:user/alice"
BACKDOOR = "arn:aws:iam::111111111111:user/backdoor"


def finding(
    type_: str,
    *,
    at: timedelta = timedelta(0),
    detector: str = "rules.example",
    principal: str = ALICE,
    severity: float = 5.0,
    calls: dict[str, int] | None = None,
) -> Finding:
    """One stored finding of `principal`, `at` after T0, lasting an hour."""
    start = T0 + at
    return Finding(
        finding_id=f"{detector}/{type_}/{principal}/{start:%d%H}",
        type=type_,
        severity=severity,
        title=type_,
        description=type_,
        account_id="111111111111",
        principal=principal,
        region="us-east-1",
        first_seen=start,
        last_seen=start + timedelta(hours=1),
        event_count=3,
        detector=detector,
        evidence=Evidence(summary=type_, sensitive_calls=calls or {}),
    )


def sequences(*findings: Finding, links: tuple[Link, ...] = ()) -> list[AttackSequence]:
    """The sequences of these findings in a lake of 100 principals, none of them common."""
    return to_sequences(to_signals(findings, {}, 100), links)


def test_two_kinds_of_finding_past_discovery_within_a_day_are_one_sequence() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    logging_off = finding("Stealth:IAMUser/CloudTrailLoggingDisabled", at=timedelta(hours=3))

    (sequence,) = sequences(sweep, logging_off)

    assert sequence.finding.type == SEQUENCE_TYPE
    assert sequence.finding.severity == 8.0  # two stages of Medium signals: High
    assert set(sequence.members) == {sweep.finding_id, logging_off.finding_id}
    assert "Discovery" in sequence.finding.title and "Defense Evasion" in sequence.finding.title


def test_one_kind_of_finding_repeated_is_never_a_sequence_whatever_its_calls_span() -> None:
    # A new CI role's first deployments: one anomaly finding per episode, each listing
    # discovery, IAM and credential calls, i.e. three tactics, but one noisy thing.
    calls = {"discovery": 25, "persistence": 1, "credential_access": 2}
    episodes = [
        finding(
            "Persistence:IAMUser/AnomalousBehavior",
            at=timedelta(hours=h),
            detector="isolation_forest",
            calls=calls,
        )
        for h in (0, 16, 20)
    ]

    assert sequences(*episodes) == []


def test_signals_more_than_a_day_apart_are_not_one_sequence() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    logging_off = finding("Stealth:IAMUser/CloudTrailLoggingDisabled", at=timedelta(hours=25))

    assert sequences(sweep, logging_off) == []


def test_discovery_alone_is_not_a_sequence() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    kali = finding("PenTest:IAMUser/KaliLinux", at=timedelta(minutes=5))

    assert sequences(sweep, kali) == []


def test_low_findings_are_context_not_stages() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    logging_off = finding(
        "Stealth:IAMUser/CloudTrailLoggingDisabled", at=timedelta(hours=1), severity=2.0
    )

    assert sequences(sweep, logging_off) == []


def test_a_common_finding_is_context_not_a_stage() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    logging_off = finding("Stealth:IAMUser/CloudTrailLoggingDisabled", at=timedelta(hours=1))
    fired_for = {logging_off.finding_id: 30}  # this detector and type fired for 30 of 100

    assert to_sequences(to_signals([sweep, logging_off], fired_for, 100), []) == []


def test_an_exact_rules_high_finding_stays_a_stage_however_many_principals_it_fired_for() -> None:
    # Five roles' stolen credentials used outside AWS: the breach is wide, not the rule noisy.
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    stolen = finding(
        "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
        at=timedelta(minutes=30),
        detector="rules.instance_credentials_outside_aws",
        severity=8.0,
    )
    fired_for = {stolen.finding_id: 30}

    (sequence,) = to_sequences(to_signals([sweep, stolen], fired_for, 100), [])
    assert set(sequence.members) == {sweep.finding_id, stolen.finding_id}


def test_a_common_high_finding_of_sigma_or_the_model_is_context_not_a_stage() -> None:
    # SigmaHQ's SSM SendCommand rule is level high, and its authors say legitimate use is common.
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    for detector in ("sigma.38e7f511-3f74-41d4-836e-f57dfa18eead", "isolation_forest"):
        common = finding(
            "Execution:SSM/CloudAdministrationCommand",
            at=timedelta(minutes=30),
            detector=detector,
            severity=7.0,
        )
        fired_for = {common.finding_id: 30}
        assert to_sequences(to_signals([sweep, common], fired_for, 100), []) == []


def test_the_identity_an_intruder_created_joins_its_sequence() -> None:
    sweep = finding("Discovery:IAMUser/AnomalousBehavior", detector="isolation_forest")
    backdoor_used = finding(
        "Persistence:IAMUser/AnomalousBehavior",
        at=timedelta(hours=2),
        detector="isolation_forest",
        principal=BACKDOOR,
    )
    created = Link(
        parent=ALICE,
        account_id="111111111111",
        event_id="e1",
        event_time=T0 + timedelta(hours=1),
        event_name="CreateAccessKey",
        child=BACKDOOR,
        child_account="111111111111",
    )

    (sequence,) = sequences(sweep, backdoor_used, links=(created,))

    assert sequence.finding.principal == ALICE
    assert set(sequence.members) == {sweep.finding_id, backdoor_used.finding_id}
    assert sequence.finding.severity >= 9.0  # a handed-on identity is Critical
    assert "CreateAccessKey" in sequence.finding.description
