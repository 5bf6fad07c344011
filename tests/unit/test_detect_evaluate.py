"""The yardstick itself: how findings are matched to labelled scenarios and counted."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pytest

from trailguard.pipeline.evaluation.evaluate import Evaluation, Population, Scenario, evaluate, pool
from trailguard.pipeline.evaluation.labels import population, with_actors
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding

T = datetime(2026, 10, 12, 10, 20, tzinfo=UTC)
ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:iam::111122223333:user/bob"
LEARNED = Population(
    learning_end=datetime(2026, 10, 8, tzinfo=UTC),
    active={date(2026, 10, 12): 50, date(2026, 10, 13): 50},
    benign={date(2026, 10, 12): 49, date(2026, 10, 13): 50},
)


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
        "finding_id": principal + str(start) + str(sorted(changes.items())),
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
        "evidence": Evidence(),
    }
    values.update(changes)
    return Finding(**values)


def _verdicts(result: Evaluation) -> list[str]:
    return [o.verdict for o in result.outcomes]


def test_a_medium_plus_finding_on_the_attacked_principal_during_the_attack_catches_it() -> None:
    result = evaluate([_finding(start=T + timedelta(minutes=3))], [_scenario()], LEARNED)

    assert _verdicts(result) == ["caught"] and result.recall() == 1.0
    assert result.outcomes[0].type_matched
    assert result.outcomes[0].minutes_to_detect == 3.0
    assert result.false_findings == 0 and result.true_findings == 1


def test_severity_four_is_the_floor_and_a_low_finding_is_reported_as_seen_at_low() -> None:
    medium = evaluate([_finding(severity=4.0)], [_scenario()], LEARNED)
    low = evaluate([_finding(severity=3.9)], [_scenario()], LEARNED)

    assert _verdicts(medium) == ["caught"]
    assert _verdicts(low) == ["low"] and low.recall() == 0.0
    assert low.true_findings == 1, "it is still about the attack, not a false positive"


def test_a_finding_lasting_more_than_48_hours_does_not_catch_the_attack() -> None:
    start = T - timedelta(hours=30)
    exactly = _finding(start=start, last_seen=start + timedelta(hours=48))
    longer = _finding(start=start, last_seen=start + timedelta(hours=48, seconds=1))

    assert _verdicts(evaluate([exactly], [_scenario()], LEARNED)) == ["caught"]
    assert _verdicts(evaluate([longer], [_scenario()], LEARNED)) == ["long"]


def test_the_hour_of_slack_each_side_counts_and_beyond_it_the_attack_is_missed() -> None:
    before = _finding(start=T - timedelta(hours=2), last_seen=T - timedelta(minutes=61))
    within = _finding(start=T - timedelta(hours=2), last_seen=T - timedelta(minutes=59))

    assert _verdicts(evaluate([before], [_scenario()], LEARNED)) == ["missed"]
    assert _verdicts(evaluate([within], [_scenario()], LEARNED)) == ["caught"]


def test_a_finding_on_the_shared_role_does_not_catch_an_attack_by_one_persons_session() -> None:
    role = "arn:aws:iam::111122223333:role/AWSReservedSSO_Admin_0123456789abcdef"
    session = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/eve"
    on_role = _finding(principal=role)

    result = evaluate([on_role], [_scenario(principal=session)], LEARNED)

    assert _verdicts(result) == ["missed"] and result.false_findings == 1


def test_a_finding_on_a_principal_the_attack_created_is_not_a_false_positive_nor_a_catch() -> None:
    backdoor = "arn:aws:sts::111122223333:federated-user/sync"
    attack = _scenario(actors=frozenset({(backdoor, "111122223333")}))

    result = evaluate([_finding(principal=backdoor)], [attack], LEARNED)

    assert _verdicts(result) == ["missed"], "caught means naming the attack's own principal"
    assert (result.true_findings, result.false_findings) == (1, 0)


def test_a_finding_in_another_account_is_a_false_positive_and_the_attack_is_missed() -> None:
    elsewhere = _finding(account_id="444455556666")
    result = evaluate([elsewhere, _finding(principal=BOB)], [_scenario()], LEARNED)

    assert _verdicts(result) == ["missed"]
    assert result.false_findings == 2 and result.false_medium_plus == 2
    assert result.by_detector == {"rules.cloudtrail_logging_disabled": 2}


def test_false_positives_are_counted_per_100_benign_principals_per_day_after_learning() -> None:
    learning = _finding(principal=BOB, start=datetime(2026, 10, 3, tzinfo=UTC))
    low = _finding(principal=BOB, start=T + timedelta(days=1), severity=2.0)
    medium = _finding(principal=BOB, start=T + timedelta(days=1, hours=2))

    result = evaluate([learning, low, medium], [_scenario()], LEARNED)

    assert (result.false_findings, result.false_medium_plus, result.false_in_learning) == (2, 1, 1)
    assert result.principal_days == 99 and result.days == 2
    assert result.fp_per_100 == pytest.approx(100 * 2 / 99)
    assert result.fp_medium_plus_per_100 == pytest.approx(100 * 1 / 99)


def test_the_rate_without_roots_sign_ins_is_reported_beside_the_one_the_target_counts() -> None:
    root = _finding(
        principal="arn:aws:iam::111122223333:root",
        start=T + timedelta(days=1),
        severity=2.0,
        detector="rules.root_credential_usage",
    )
    later = T + timedelta(days=1, hours=2)
    model = _finding(principal=BOB, start=later, detector="isolation_forest")

    result = evaluate([root, model], [_scenario()], LEARNED)

    assert result.fp_per_100 == pytest.approx(100 * 2 / 99)
    assert result.fp_without_root_per_100 == pytest.approx(100 * 1 / 99)


def test_an_hourly_window_is_ready_when_its_hour_ends() -> None:
    window = _finding(start=T.replace(minute=0), score=0.7, detector="isolation_forest")
    result = evaluate([window], [_scenario()], LEARNED)
    assert _verdicts(result) == ["caught"]
    assert result.outcomes[0].minutes_to_detect == 40.0  # 11:00 minus 10:20


def test_hard_negatives_are_flagged_at_medium_plus_or_low_and_archived_findings_ignored() -> None:
    negatives = [
        _scenario(kind="hard_negative", difficulty=None, id="N001"),
        _scenario(kind="hard_negative", difficulty=None, id="N002", principal=BOB),
        _scenario(kind="hard_negative", difficulty=None, id="N003", principal="carol"),
    ]
    findings = [
        _finding(severity=5.0, last_seen=T + timedelta(days=4)),  # any duration flags
        _finding(principal=BOB, severity=2.0),
        _finding(principal="carol", status="archived"),
    ]

    result = evaluate(findings, negatives, LEARNED)

    assert _verdicts(result) == ["flagged", "low", "quiet"]
    assert result.findings == 2 and result.false_findings == 2


def test_population_counts_benign_principal_days_after_the_learning_period() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (principal_key TEXT, account_id TEXT, event_date DATE)")
    rows = [(who, "111122223333", date(2026, 10, d)) for d in range(1, 15) for who in ("a", "b")]
    con.executemany("INSERT INTO events VALUES (?, ?, ?)", rows)
    start = datetime(2026, 10, 9, 23, 50, tzinfo=UTC)  # runs past midnight: both days left out
    attack = _scenario(principal="a", start=start, end=start + timedelta(hours=1))

    found = population(con, [attack], learning_days=7)

    assert found.learning_end == datetime(2026, 10, 8, tzinfo=UTC)
    assert sorted(found.active) == [date(2026, 10, d) for d in range(8, 15)]
    assert sum(found.active.values()) == 14
    assert found.benign[date(2026, 10, 9)] == 1 and found.benign[date(2026, 10, 10)] == 1
    assert sum(found.benign.values()) == 12


def test_actors_are_the_principals_of_the_labelled_events_as_the_lake_keys_them() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE events (event_id TEXT, principal_key TEXT, account_id TEXT)")
    con.executemany(
        "INSERT INTO events VALUES (?, ?, ?)",
        [("e1", ALICE, "111122223333"), ("e2", BOB, "111122223333"), ("e3", "x", "1")],
    )

    [attack] = with_actors(con, [_scenario(event_ids=("e1", "e2", "missing"))])

    assert attack.principals == {(ALICE, "111122223333"), (BOB, "111122223333")}


def test_pooled_evaluations_add_counts_and_keep_scenarios_of_each_run_apart() -> None:
    caught = evaluate([_finding()], [_scenario(difficulty="quiet")], LEARNED)
    missed = evaluate([_finding(principal=BOB)], [_scenario()], LEARNED)

    pooled = pool({"small-seed7": caught, "small-seed11": missed})

    assert [o.scenario.id for o in pooled.outcomes] == ["small-seed7/A000", "small-seed11/A000"]
    assert pooled.recall() == 0.5 and pooled.recall("quiet") == 1.0
    assert pooled.recall("loud") == 0.0
    assert (pooled.false_findings, pooled.principal_days) == (1, 198)
    assert pooled.budget.caught == {"small-seed7/A000"}
