"""A synthetic organisation's labels against a lake: what the yardstick reads.

`read_labels` parses `labels.json`; `with_actors` adds the principals each scenario's events
came from, as the lake keys them; `population` counts the principals behind the false-positive
rate and the alert budget; `lake_inputs` reads them once with the lake's findings, for
`trailguard.pipeline.evaluation.evaluate.evaluate` (`evaluate_lake`) and the analyst's week
(`trailguard.pipeline.evaluation.analyst.first_week`) alike.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple

import duckdb

from trailguard.pipeline.evaluation.evaluate import (
    Evaluation,
    Population,
    Scenario,
    evaluate,
)
from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET, LEARNING_DAYS
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import FindingFilter, list_findings


def read_labels(path: Path) -> list[Scenario]:
    """The scenarios of a `labels.json`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [
        Scenario(
            id=s["id"],
            kind=s["kind"],
            technique=s["technique"],
            difficulty=s.get("difficulty"),
            principal_key=s["principal_key"],
            account_id=str(s["account_id"]),
            start=datetime.fromisoformat(s["start"]),
            end=datetime.fromisoformat(s["end"]),
            expected_types=tuple(s.get("expected_finding_types") or ()),
            event_ids=tuple(s.get("event_ids") or ()),
        )
        for s in data["scenarios"]
    ]


def with_actors(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> list[Scenario]:
    """The scenarios with the principals their labelled events came from, as the lake keys them."""
    ids = sorted({i for s in scenarios for i in s.event_ids})
    rows = con.execute(
        "SELECT DISTINCT event_id, principal_key, account_id FROM events "
        "WHERE list_contains($ids, event_id)",
        {"ids": ids},
    ).fetchall()
    actor = {event: (key, account) for event, key, account in rows}
    return [
        replace(s, actors=frozenset(actor[i] for i in s.event_ids if i in actor)) for s in scenarios
    ]


def population(
    con: duckdb.DuckDBPyConnection, scenarios: list[Scenario], learning_days: int = LEARNING_DAYS
) -> Population:
    """Principals active per day after the lake's learning period, and the benign ones among
    them (an attack's principals are left out on the days it ran)."""
    first = con.execute("SELECT min(event_date) FROM events").fetchall()[0][0]
    if first is None:
        raise ValueError("the lake holds no events")
    learning_end = datetime.combine(first, time(), tzinfo=UTC) + timedelta(days=learning_days)
    rows = con.execute(
        "SELECT DISTINCT principal_key, account_id, event_date FROM events "
        "WHERE event_date >= $since",
        {"since": learning_end.date()},
    ).fetchall()
    attacked = {
        (key, account, s.start.date() + timedelta(days=d))
        for s in scenarios
        if s.kind == "attack"
        for key, account in s.principals
        for d in range((s.end.date() - s.start.date()).days + 1)
    }
    active: dict[date, int] = defaultdict(int)
    benign: dict[date, int] = defaultdict(int)
    for key, account, day in rows:
        active[day] += 1
        benign[day] += (key, account, day) not in attacked
    return Population(learning_end, dict(active), dict(benign))


def evaluate_lake(
    con: duckdb.DuckDBPyConnection,
    labels: Path,
    *,
    learning_days: int = LEARNING_DAYS,
    budget: float = DEFAULT_BUDGET,
) -> Evaluation:
    """Evaluate the findings of a lake (`con`: its database, read-only is fine) against labels."""
    return evaluate(*lake_inputs(con, labels, learning_days), budget)


class LakeInputs(NamedTuple):
    """What the yardstick and the analyst's week read from a lake, in their arguments' order:
    `evaluate(*inputs, budget)`, `first_week(*inputs, budget)`."""

    findings: list[Finding]
    scenarios: list[Scenario]
    population: Population


def lake_inputs(con: duckdb.DuckDBPyConnection, labels: Path, learning_days: int) -> LakeInputs:
    """Every finding of a lake, its labelled scenarios and its population, read once."""
    scenarios = with_actors(con, read_labels(labels))
    findings = list_findings(con, FindingFilter(status=None, limit=2**62))
    return LakeInputs(findings, scenarios, population(con, scenarios, learning_days))
