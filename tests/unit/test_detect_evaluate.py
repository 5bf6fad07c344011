"""The yardstick itself: how findings are matched to labelled scenarios and counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.evaluate import Scenario, evaluate
from pipeline.findings import Finding

T = datetime(2026, 10, 12, 10, 20, tzinfo=UTC)
ALICE = "arn:aws:iam::111122223333:user/alice"


def _scenario(kind: str = "attack", principal: str = ALICE, **changes: Any) -> Scenario:
    values: dict[str, Any] = {
        "id": "A000",
        "kind": kind,
        "technique": "aws.defense-evasion.cloudtrail-stop",
        "difficulty": "loud",
        "principal_key": principal,
        "account_id": "111122223333",
        "start": T,
        "end": T + timedelta(minutes=5),
        "expected_types": ("Stealth:IAMUser/CloudTrailLoggingDisabled",),
    }
    values.update(changes)
    return Scenario(**values)


def _finding(principal: str = ALICE, start: datetime = T, **changes: Any) -> Finding:
    values: dict[str, Any] = {
        "finding_id": principal + str(start),
        "type": "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "severity": 7.5,
        "title": "t",
        "description": "d",
        "account_id": "111122223333",
        "principal": principal,
        "region": None,
        "first_seen": start,
        "last_seen": start,
        "event_count": 1,
        "detector": "rules.cloudtrail_logging_disabled",
        "evidence": {},
    }
    values.update(changes)
    return Finding(**values)


def test_a_finding_on_the_attacked_principal_during_the_attack_detects_it() -> None:
    result = evaluate([_finding(start=T + timedelta(minutes=3))], [_scenario()], 100, 10)
    assert (result.detected, result.attacks, result.type_matched) == (1, 1, 1)
    assert result.false_findings == 0
    assert result.median_minutes_to_detect == 3.0


def test_a_finding_elsewhere_is_a_false_positive_and_the_attack_is_missed() -> None:
    bob = "arn:aws:iam::111122223333:user/bob"
    late = _finding(start=T + timedelta(days=1))
    result = evaluate([_finding(principal=bob), late], [_scenario()], 100, 10)
    assert result.detected == 0
    assert result.false_findings == 2 and result.false_medium_plus == 2
    assert result.by_detector == {"rules.cloudtrail_logging_disabled": 2}


def test_an_hourly_window_is_ready_when_its_hour_ends() -> None:
    window = _finding(start=T.replace(minute=0), score=0.7, detector="isolation_forest")
    result = evaluate([window], [_scenario()], 100, 10)
    assert result.detected == 1
    assert result.median_minutes_to_detect == 40.0  # 11:00 minus 10:20


def test_hard_negatives_flagged_are_counted_by_severity_and_archived_ones_not_at_all() -> None:
    negative = _scenario(kind="hard_negative", difficulty=None)
    low = _finding(severity=2.0)
    archived = _finding(start=T + timedelta(minutes=1), status="archived")
    result = evaluate([low, archived], [negative], 100, 10)
    assert (result.hard_negatives, result.hard_negatives_flagged) == (1, 1)
    assert result.hard_negatives_flagged_medium_plus == 0
    assert result.findings == 1
