"""Issue 4's targets, marked met or missed, and the JSON of an evaluation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from trailguard.pipeline.evaluation.evaluate import Evaluation, Outcome, Scenario
from trailguard.pipeline.evaluation.scorecard import mark, report, targets, to_dict

T = datetime(2026, 10, 12, 10, tzinfo=UTC)


def _outcome(verdict: str, kind: str = "attack", difficulty: str | None = "loud") -> Outcome:
    scenario = Scenario(
        f"{verdict}-{difficulty}", kind, "t", difficulty, "p", "1", T, T + timedelta(hours=1), ()
    )
    return Outcome(scenario, verdict, minutes_to_detect=5.0 if verdict == "caught" else None)


def _evaluation(**changes: object) -> Evaluation:
    outcomes = [_outcome("caught")] * 19 + [_outcome("low", difficulty="quiet")]
    outcomes += [_outcome("flagged", "hard_negative", None)] * 3
    outcomes += [_outcome("quiet", "hard_negative", None)] * 2
    values: dict[str, object] = {
        "outcomes": outcomes,
        "false_findings": 2,
        "principal_days": 200,
    }
    values.update(changes)
    return Evaluation(**values)  # type: ignore[arg-type]


def test_each_target_is_marked_met_or_missed_against_issue_18s_goals() -> None:
    found = {t.name: (t.value, t.met) for t in targets(_evaluation())}

    assert found == {
        "recall": (0.95, True),
        "recall, quiet attacks": (0.0, False),
        "FP per 100 principals per day": (1.0, False),
        "benign novelties at Medium+": (0.6, False),
    }


def test_a_target_with_nothing_to_measure_is_not_applicable_rather_than_met() -> None:
    loud_only = _evaluation(outcomes=[_outcome("caught")], principal_days=0)
    marks = [mark(t) for t in targets(loud_only)]
    assert marks == ["1.00 met", "- n/a", "- n/a", "- n/a"]


def test_the_json_holds_every_number_and_serialises() -> None:
    data = json.loads(json.dumps(to_dict(_evaluation())))

    assert data["recall"] == {"attacks": 20, "caught": 19, "value": 0.95}
    assert data["not_caught"] == {"low": 1, "long": 0, "missed": 0}
    assert data["hard_negatives"]["flagged_medium_plus"] == 3
    assert data["false_positives"]["per_100_principals_per_day"] == 1.0
    assert [t["met"] for t in data["targets"]] == [True, False, False, False]
    assert len(data["scenarios"]) == 25


def test_the_report_names_what_was_seen_but_not_caught() -> None:
    text = report(_evaluation())
    assert "attacks caught          19/20" in text
    assert "seen only at Low 1" in text
    assert "hard negatives flagged  3/5 at Medium+" in text


def test_real_incidents_are_counted_apart_when_an_organisation_holds_them() -> None:
    planted = _evaluation()
    laid_in = _evaluation(
        outcomes=[
            *planted.outcomes,
            _outcome("caught", difficulty="real"),
            _outcome("missed", difficulty="real"),
        ]
    )

    assert "(loud 19/19, quiet 0/1; severity" in report(planted)  # none: not mentioned
    assert "(loud 19/19, quiet 0/1, real incidents 1/2; severity" in report(laid_in)
    assert to_dict(laid_in)["real"] == {"attacks": 2, "caught": 1, "value": 0.5}


def test_the_report_and_json_say_how_attacks_ended_as_sequences() -> None:
    e = Evaluation(attacks_as_one_sequence=3, sequences=4, benign_sequences=1)

    assert "attack sequences        4; planted attacks ending as one sequence 3/0" in report(e)
    assert "on benign principals 1 (target 0)" in report(e)
    assert to_dict(e)["attack_sequences"] == {
        "sequences": 4,
        "attacks_as_one_sequence": 3,
        "attacks": 0,
        "on_benign_principals": 1,
    }
