"""The yardstick: findings of a lake against the labels of a synthetic organisation.

A scenario (attack or hard negative) is *flagged* when an active finding on its principal and
account overlaps its time span (widened by one hour each side: the model works on hourly
windows). A finding that overlaps no attack is a false positive; false positives are counted per
principal-day of the benign population (principal keys with events that day, attack ones
excluded) and per day across the organisation.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from pipeline.finding_views import FindingFilter, list_findings
from pipeline.findings import SEVERITY_LOW_MAX, Finding

SLACK = timedelta(hours=1)
WINDOW = timedelta(hours=1)  # the anomaly model's grain


@dataclass(frozen=True)
class Scenario:
    """One labelled scenario."""

    id: str
    kind: str
    technique: str
    difficulty: str | None
    principal_key: str
    account_id: str
    start: datetime
    end: datetime
    expected_types: tuple[str, ...]


@dataclass
class Evaluation:
    """The numbers: per technique, overall, and the noise on the benign population."""

    techniques: dict[str, dict[str, Any]] = field(default_factory=dict)
    attacks: int = 0
    detected: int = 0
    loud: tuple[int, int] = (0, 0)  # (detected, total)
    quiet: tuple[int, int] = (0, 0)
    type_matched: int = 0
    findings: int = 0
    true_findings: int = 0
    false_findings: int = 0
    false_medium_plus: int = 0
    principal_days: int = 0
    days: int = 0
    hard_negatives: int = 0
    hard_negatives_flagged: int = 0
    hard_negatives_flagged_medium_plus: int = 0
    median_minutes_to_detect: float | None = None
    max_minutes_to_detect: float | None = None
    by_detector: dict[str, int] = field(default_factory=dict)


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
        )
        for s in data["scenarios"]
    ]


def overlaps(finding: Finding, scenario: Scenario) -> bool:
    """True when the finding is about the scenario's principal during its (widened) span."""
    if finding.principal != scenario.principal_key or finding.account_id != scenario.account_id:
        return False
    return (
        finding.first_seen <= scenario.end + SLACK and finding.last_seen >= scenario.start - SLACK
    )


def evaluate(
    findings: list[Finding], scenarios: list[Scenario], principal_days: int, days: int
) -> Evaluation:
    """Compare findings with labelled scenarios (pure; see module docstring)."""
    active = [f for f in findings if f.status == "active"]
    result = Evaluation(findings=len(active), principal_days=principal_days, days=days)
    attacks = [s for s in scenarios if s.kind == "attack"]
    _score_attacks(result, active, attacks)
    negatives = [s for s in scenarios if s.kind != "attack"]
    result.hard_negatives = len(negatives)
    for scenario in negatives:
        hits = [f for f in active if overlaps(f, scenario)]
        result.hard_negatives_flagged += bool(hits)
        result.hard_negatives_flagged_medium_plus += any(
            f.severity > SEVERITY_LOW_MAX for f in hits
        )
    false = [f for f in active if not any(overlaps(f, s) for s in attacks)]
    result.true_findings = len(active) - len(false)
    result.false_findings = len(false)
    result.false_medium_plus = sum(f.severity > SEVERITY_LOW_MAX for f in false)
    for finding in false:
        result.by_detector[finding.detector] = result.by_detector.get(finding.detector, 0) + 1
    return result


def _score_attacks(result: Evaluation, active: list[Finding], attacks: list[Scenario]) -> None:
    per: dict[str, list[bool]] = defaultdict(list)
    delays: list[float] = []
    loud = [0, 0]
    quiet = [0, 0]
    for scenario in attacks:
        hits = [f for f in active if overlaps(f, scenario)]
        per[scenario.technique].append(bool(hits))
        tally = loud if scenario.difficulty == "loud" else quiet
        tally[0] += bool(hits)
        tally[1] += 1
        if hits:
            first = min(ready_at(f) for f in hits)
            delays.append(max((first - scenario.start).total_seconds() / 60, 0.0))
            result.type_matched += any(f.type in scenario.expected_types for f in hits)
    result.attacks = len(attacks)
    result.detected = sum(sum(v) for v in per.values())
    result.loud, result.quiet = (loud[0], loud[1]), (quiet[0], quiet[1])
    result.techniques = {
        t: {"scenarios": len(v), "detected": sum(v), "recall": round(sum(v) / len(v), 2)}
        for t, v in sorted(per.items())
    }
    if delays:
        delays.sort()
        result.median_minutes_to_detect = round(delays[len(delays) // 2], 1)
        result.max_minutes_to_detect = round(delays[-1], 1)


def ready_at(finding: Finding) -> datetime:
    """When a finding could first exist: a rule at its first event, an hourly window at its end.

    (Delivery delay of CloudTrail, about 5 minutes, and the detection schedule come on top.)
    """
    return finding.first_seen + (WINDOW if finding.score is not None else timedelta(0))


def population(con: duckdb.DuckDBPyConnection, scenarios: list[Scenario]) -> tuple[int, int]:
    """(benign principal-days, days) of the lake: attack principals excluded on attack days."""
    rows = con.execute(
        "SELECT DISTINCT principal_key, account_id, event_date FROM events"
    ).fetchall()
    attacked = {
        (s.principal_key, s.account_id, s.start.date()) for s in scenarios if s.kind == "attack"
    }
    benign = [r for r in rows if (r[0], r[1], r[2]) not in attacked]
    return len(benign), len({r[2] for r in rows})


def evaluate_lake(con: duckdb.DuckDBPyConnection, labels: Path) -> Evaluation:
    """Evaluate the findings of a lake (`con`: its database, read-only is fine) against labels."""
    scenarios = read_labels(labels)
    findings = list_findings(con, FindingFilter(status=None, limit=2**62))
    principal_days, days = population(con, scenarios)
    return evaluate(findings, scenarios, principal_days, days)


def report(result: Evaluation) -> str:
    """The evaluation as a Markdown-ish text table."""
    lines = ["| technique | scenarios | detected | recall |", "|---|---|---|---|"]
    for name, t in result.techniques.items():
        lines.append(f"| {name} | {t['scenarios']} | {t['detected']} | {t['recall']:.2f} |")
    precision = result.true_findings / result.findings if result.findings else 0.0
    per_pd = result.false_findings / result.principal_days if result.principal_days else 0.0
    per_day = result.false_findings / result.days if result.days else 0.0
    lines += [
        "",
        f"attacks detected        {result.detected}/{result.attacks}"
        f"   (loud {result.loud[0]}/{result.loud[1]}, quiet {result.quiet[0]}/{result.quiet[1]})",
        f"finding type as labelled {result.type_matched}/{result.detected}",
        f"precision (findings)    {precision:.2f}   ({result.true_findings}/{result.findings})",
        f"false positives         {result.false_findings} ({result.false_medium_plus} Medium+)"
        f"   by detector {dict(sorted(result.by_detector.items()))}",
        f"FP per principal-day    {per_pd:.4f}   ({result.principal_days} benign principal-days)",
        f"FP per day (org)        {per_day:.2f}   ({result.days} days)",
        f"hard negatives flagged  {result.hard_negatives_flagged}/{result.hard_negatives}"
        f"   (Medium+ {result.hard_negatives_flagged_medium_plus})",
        f"time to detect          median {result.median_minutes_to_detect} min, max "
        f"{result.max_minutes_to_detect} min after the attack began (rule: its first event; "
        "model: end of its first hour; CloudTrail delivery and the schedule come on top)",
    ]
    return "\n".join(lines)
