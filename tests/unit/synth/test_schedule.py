"""Scenarios are placed after the learning period, over accounts, at both difficulties."""

from __future__ import annotations

from collections import Counter

import pytest

from trailguard.pipeline.synth.defaults import DEFAULT_START
from trailguard.pipeline.synth.org import build_org, plan_account
from trailguard.pipeline.synth.scenario import load
from trailguard.pipeline.synth.schedule import Slot, learning_days, run_slot, schedule, select

TECHNIQUES = load()


def test_learning_period_is_a_week_or_half_a_short_period() -> None:
    assert [learning_days(d) for d in (2, 9, 14, 21)] == [1, 4, 7, 7]


def test_a_technique_placed_twice_runs_once_loud_and_once_quiet() -> None:
    org = build_org(1, 4, 20, 14, DEFAULT_START.timestamp())
    slots = schedule(org, select(None), repeats=2)
    by_technique: dict[str, list[str | None]] = {}
    for slot in slots:
        by_technique.setdefault(slot.technique, []).append(slot.difficulty)
    for tid, difficulties in by_technique.items():
        benign = TECHNIQUES[tid].kind == "hard_negative"
        expected = [None, None] if benign else ["loud", "quiet"]
        assert sorted(difficulties, key=str) == expected, tid
    assert len({s.sid for s in slots}) == len(slots)
    assert all(7 <= s.day < 14 for s in slots)
    assert set(Counter(s.account_index for s in slots)) == {0, 1, 2, 3}


def test_techniques_are_selected_by_id_or_name() -> None:
    chosen = select(["aws.defense-evasion.cloudtrail-stop", "Delete CloudTrail trail"])
    assert [t.id for t in chosen] == [
        "aws.defense-evasion.cloudtrail-stop",
        "aws.defense-evasion.cloudtrail-delete",
    ]
    with pytest.raises(ValueError, match="unknown techniques: nope"):
        select(["nope"])


def test_each_scenario_of_an_account_gets_a_fresh_victim_while_there_are_any() -> None:
    org = build_org(2, 1, 30, 10, DEFAULT_START.timestamp())
    plan = plan_account(org, 0)
    tid = "aws.persistence.lambda-overwrite-code"
    candidates = {p.ident.key for p in plan.profiles if p.archetype in TECHNIQUES[tid].victims}
    used: set[str] = set()
    for i in range(len(candidates)):
        run_slot(org, plan, Slot(f"A{i:03d}", tid, 0, 8, 0.5, "loud", "1" * 12), used)
        assert len(used) == i + 1
    assert used == candidates


def test_a_period_too_short_for_a_learning_period_is_refused_clearly() -> None:
    org = build_org(11, 2, 4, 1, DEFAULT_START.timestamp())
    with pytest.raises(ValueError, match="learning period"):
        schedule(org, select(None))
    assert schedule(org, []) == []  # benign traffic only is fine
