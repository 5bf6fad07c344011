"""An analyst's first week in `trailguard eval`: every false positive of the week after learning
archived with "suppress similar", then the noise of the days after it with and without the rules,
and the price in attacks the rules hide."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.unit.test_detect_evaluate import _finding, _scenario
from trailguard.pipeline.evaluation.analyst import first_week
from trailguard.pipeline.evaluation.evaluate import Population

LEARNING_END = datetime(2026, 10, 8, tzinfo=UTC)
IN_WEEK = LEARNING_END + timedelta(days=2, hours=9)
AFTER = LEARNING_END + timedelta(days=9, hours=9)
SCANNER = "arn:aws:iam::111122223333:role/audit-scanner-0417"
SCANNER_ELSEWHERE = "arn:aws:iam::444455556666:role/audit-scanner-9921"
ALICE = "arn:aws:iam::111122223333:user/alice"
DISCOVERY = "Discovery:IAMUser/AnomalousBehavior"
DAYS = {LEARNING_END.date() + timedelta(days=d): 100 for d in range(14)}
POPULATION = Population(LEARNING_END, DAYS, DAYS)


def test_the_weeks_archives_quiet_the_same_behaviour_of_the_same_family_afterwards() -> None:
    findings = [
        _finding(SCANNER, IN_WEEK, type=DISCOVERY),  # judged benign in the week: a rule
        _finding(SCANNER_ELSEWHERE, AFTER, type=DISCOVERY),  # the family, later: archived
        _finding(SCANNER, AFTER, type="Stealth:IAMUser/CloudTrailLoggingDisabled"),  # other type
        _finding(ALICE, AFTER + timedelta(days=1), type=DISCOVERY),  # other principal
    ]

    week = first_week(findings, [], POPULATION)

    assert week is not None
    assert (week.archived, week.rules, week.attack_findings_archived) == (1, 1, 0)
    assert week.week_end == LEARNING_END + timedelta(days=7)
    assert (week.before.false_findings, week.after.false_findings) == (3, 2)
    assert week.before.principal_days == 700  # the 7 days after the week only


def test_a_rule_that_hides_an_attack_is_counted_as_its_price() -> None:
    attack = _scenario(
        principal=SCANNER_ELSEWHERE,
        start=AFTER,
        end=AFTER + timedelta(minutes=5),
        account_id="111122223333",
    )
    findings = [
        _finding(SCANNER, IN_WEEK, type=DISCOVERY),
        _finding(SCANNER_ELSEWHERE, AFTER, type=DISCOVERY),  # the attack, on the family
    ]

    week = first_week(findings, [attack], POPULATION)

    assert week is not None
    assert week.attack_findings_archived == 1
    assert (week.before.recall(), week.after.recall()) == (1.0, 0.0)


def test_true_findings_of_the_week_are_never_archived() -> None:
    attack = _scenario(principal=SCANNER, start=IN_WEEK, end=IN_WEEK + timedelta(minutes=5))
    findings = [
        _finding(SCANNER, IN_WEEK, type=DISCOVERY),
        _finding(SCANNER, AFTER, type=DISCOVERY),
    ]

    week = first_week(findings, [attack], POPULATION)

    assert week is not None and (week.archived, week.rules) == (0, 0)


def test_no_week_is_measured_when_no_day_follows_it() -> None:
    short = {day: n for day, n in DAYS.items() if day < date(2026, 10, 15)}
    assert first_week([], [], Population(LEARNING_END, short, short)) is None
