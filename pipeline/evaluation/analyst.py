"""What an analyst's first week of triage does to the noise that follows.

The detector's false-positive target holds with nobody touching it. A team that runs trailguard
also triages: it archives what it has judged benign and, where the same behaviour will recur,
says "suppress similar" (pipeline/findings/similar.py). This measures that loop on a labelled
organisation, with the definitions of `pipeline.evaluation.evaluate`:

1. The analyst's week is the first week after the learning period. Every active false positive
   whose first_seen falls in it is archived with `--suppress`, as of its last event: one rule per
   (principal family, finding type, and root's network), owned by the analyst, expiring in 90
   days (a root finding from several networks is archived with no rule, as the CLI refuses one).
   The analyst is ideal in one way only: the labels tell them which findings are false. They
   never archive a true finding.
2. The rules are then applied to every finding first seen after that week, as `trailguard
   detect` applies them (`SuppressionConfig.reason`, expiry by the finding's own day).
3. Both sides are evaluated from the end of that week: false positives per 100 principals per
   day as detected, and after the rules; and the price, attack findings the rules archived
   (recall after the rules).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from trailguard.pipeline.evaluation.evaluate import (
    Evaluation,
    Population,
    Scenario,
    evaluate,
    involves,
)
from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET
from trailguard.pipeline.findings.similar import similar_to
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.suppression import Network, Suppression, SuppressionConfig

WEEK = timedelta(days=7)
ANALYST = "analyst (trailguard eval)"
REASON = "judged benign in the first week of triage"


@dataclass(frozen=True)
class AnalystWeek:
    """The week's triage and the days after it, without and with the analyst's rules."""

    week_start: datetime
    week_end: datetime
    archived: int  # false positives archived in the week
    rules: int  # "suppress similar" rules they wrote
    before: Evaluation  # from week_end on, as detected
    after: Evaluation  # from week_end on, with the rules applied
    attack_findings_archived: int  # true findings the rules archived: the price


def first_week(
    findings: list[Finding],
    scenarios: list[Scenario],
    population: Population,
    budget: float = DEFAULT_BUDGET,
) -> AnalystWeek | None:
    """The analyst's first week and its effect (None when no day follows that week)."""
    start, end = population.learning_end, population.learning_end + WEEK
    later = Population(
        end,
        {day: n for day, n in population.active.items() if day >= end.date()},
        {day: n for day, n in population.benign.items() if day >= end.date()},
    )
    if not later.benign:
        return None
    attacks = [s for s in scenarios if s.kind == "attack"]
    active = [f for f in findings if f.status == "active"]
    true = {f.finding_id for f in active if any(involves(f, s) for s in attacks)}
    judged = sorted(
        (f for f in active if f.finding_id not in true and start <= f.first_seen < end),
        key=lambda f: f.first_seen,
    )
    rules: dict[tuple[str | None, str | None, Network | None], Suppression] = {}
    for finding in judged:
        try:
            rule = similar_to(finding, owner=ANALYST, reason=REASON, now=finding.last_seen)
        except ValueError:  # root from several networks: archived, with no rule (as the CLI)
            continue
        rules.setdefault((rule.family, rule.type, rule.network), rule)
    config = SuppressionConfig(tuple(rules.values()))
    triaged, archived_true = [], 0
    for finding in findings:
        if finding.status == "active" and finding.first_seen >= end:
            why = config.reason(finding, today=finding.first_seen.date())
            if why is not None:
                finding = replace(finding, status="archived", status_reason=why)
                archived_true += finding.finding_id in true
        triaged.append(finding)
    return AnalystWeek(
        week_start=start,
        week_end=end,
        archived=len(judged),
        rules=len(rules),
        before=evaluate(findings, scenarios, later, budget),
        after=evaluate(triaged, scenarios, later, budget),
        attack_findings_archived=archived_true,
    )
