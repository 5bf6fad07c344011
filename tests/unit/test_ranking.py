"""The analyst's queue: precision at a daily alert budget and the precision-recall curve."""

from __future__ import annotations

from datetime import date

import pytest

from trailguard.pipeline.evaluation.ranking import (
    Ranked,
    at_budget,
    ordered,
    pooled_items,
    pr_curve,
)

MON, TUE = date(2026, 10, 12), date(2026, 10, 13)


def _item(
    fid: str,
    severity: float,
    score: float | None = None,
    day: date = MON,
    catches: tuple[str, ...] = (),
    true: bool | None = None,
) -> Ranked:
    return Ranked(
        fid, severity, score, day, bool(catches) if true is None else true, frozenset(catches)
    )


def test_the_queue_ranks_by_severity_then_score_and_a_rule_after_a_scored_finding() -> None:
    items = [
        _item("rule", 7.5),
        _item("model-low-score", 7.5, 0.61),
        _item("model-high-score", 7.5, 0.83),
        _item("high", 8.0),
        _item("medium", 5.0, 0.9),
    ]
    assert [r.finding_id for r in ordered(items)] == [
        "high",
        "model-high-score",
        "model-low-score",
        "rule",
        "medium",
    ]


def test_each_day_the_budget_reads_the_top_findings_for_that_days_principals() -> None:
    items = [
        _item("mon-attack", 8.0, catches=("A1",)),
        _item("mon-noise", 7.0),
        _item("mon-low-attack", 2.0, catches=("A2",)),  # beyond Monday's capacity of 2
        _item("tue-noise", 5.0, day=TUE),
        _item("tue-attack", 4.0, day=TUE, catches=("A3",)),
    ]
    active = {MON: 150, TUE: 40}  # principals; at 1 per 100: Monday ceil(1.5) = 2, Tuesday 1

    budget = at_budget(items, active, per_100=1.0)

    assert (budget.alerts, budget.true_alerts) == (3, 1)
    assert budget.precision == pytest.approx(1 / 3)
    assert budget.caught == {"A1"}


def test_an_exact_capacity_is_not_rounded_up_and_an_empty_queue_has_no_precision() -> None:
    items = [_item(str(i), 5.0) for i in range(5)]
    assert at_budget(items, {MON: 300}, per_100=1.0).alerts == 3
    assert at_budget([], {MON: 300}, per_100=1.0).precision is None


def test_the_pr_curve_has_one_point_per_distinct_threshold_with_ties_alerting_together() -> None:
    items = [
        _item("a", 8.0, catches=("A1",)),
        _item("b", 8.0),
        _item("c", 5.0, 0.7, catches=("A1",)),  # a second finding of an already caught attack
        _item("d", 5.0, 0.6, catches=("A2",)),
        _item("e", 2.0),
    ]

    points = pr_curve(items, attacks=4)

    assert [(p.severity, p.score, p.alerts) for p in points] == [
        (8.0, None, 2),
        (5.0, 0.7, 3),
        (5.0, 0.6, 4),
        (2.0, None, 5),
    ]
    assert [p.precision for p in points] == pytest.approx([1 / 2, 2 / 3, 3 / 4, 3 / 5])
    assert [p.recall for p in points] == [0.25, 0.25, 0.5, 0.5]


def test_a_true_finding_too_long_to_catch_counts_for_precision_but_not_recall() -> None:
    points = pr_curve([_item("long", 6.0, true=True)], attacks=1)
    assert (points[0].precision, points[0].recall) == (1.0, 0.0)


def test_pooled_items_keep_runs_apart() -> None:
    run = [_item("f", 8.0, catches=("A1",))]
    pooled = pooled_items({"small-seed7": run, "small-seed11": run})
    assert [r.finding_id for r in pooled] == ["small-seed7/f", "small-seed11/f"]
    assert pr_curve(pooled, attacks=2)[-1].recall == 1.0
