"""An evaluation as people and programs read it: issue 18's targets, a text report, a JSON dict.

The numbers are `pipeline.evaluation.evaluate`'s (definitions in its docstring); this module only
derives rates from its counts and says which targets are met.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from typing import Any

from trailguard.pipeline.evaluation.evaluate import Evaluation, Outcome
from trailguard.pipeline.evaluation.ranking import PRPoint, pr_curve

NOT_CAUGHT = ("low", "long", "missed")


@dataclass(frozen=True)
class Target:
    """One of the detection targets (issue 18) and the value measured against it."""

    name: str
    value: float | None
    limit: float
    at_most: bool = False

    @property
    def goal(self) -> str:
        """E.g. `>= 0.95`."""
        return f"{'<=' if self.at_most else '>='} {self.limit:.2g}"

    @property
    def met(self) -> bool | None:
        """None when there is nothing to measure (e.g. no quiet attack)."""
        if self.value is None:
            return None
        return self.value <= self.limit if self.at_most else self.value >= self.limit


def targets(e: Evaluation) -> list[Target]:
    """Issue 18's targets, held on every organisation: recall >= 0.95 overall and >= 0.9 for
    quiet attacks; <= 0.5 false positives per 100 principals per day after learning; at most a
    third of the benign novelties (hard negatives) at Medium+."""
    negatives = e.hard_negatives
    flagged = sum(o.verdict == "flagged" for o in negatives)
    return [
        Target("recall", e.recall(), 0.95),
        Target("recall, quiet attacks", e.recall("quiet"), 0.9),
        Target("FP per 100 principals per day", e.fp_per_100, 0.5, at_most=True),
        Target(
            "benign novelties at Medium+",
            flagged / len(negatives) if negatives else None,
            1 / 3,
            at_most=True,
        ),
    ]


def mark(target: Target) -> str:
    """`0.96 met`, `0.75 MISSED` or `- n/a`."""
    if target.value is None:
        return "- n/a"
    return f"{target.value:.2f} {'met' if target.met else 'MISSED'}"


def techniques(outcomes: list[Outcome]) -> dict[str, dict[str, int]]:
    """Per technique: scenarios and how many of each verdict."""
    per: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for o in outcomes:
        per[o.scenario.technique]["scenarios"] += 1
        per[o.scenario.technique][o.verdict] += 1
    return {t: dict(v) for t, v in sorted(per.items())}


def minutes_to_detect(e: Evaluation) -> tuple[float | None, float | None]:
    """(median, max) minutes from an attack's start to its first catching finding."""
    delays = sorted(o.minutes_to_detect for o in e.attacks() if o.minutes_to_detect is not None)
    return (delays[len(delays) // 2], delays[-1]) if delays else (None, None)


def budget_recall(e: Evaluation) -> float | None:
    """Attacks caught by a finding within the daily alert budget / attacks."""
    attacks = e.attacks()
    return len(e.budget.caught) / len(attacks) if attacks else None


def report(e: Evaluation) -> str:
    """One organisation's evaluation as a text table (`trailguard evaluate` and `demo`)."""
    lines = ["| technique | attacks | caught | recall | not caught |", "|---|---|---|---|---|"]
    for name, t in techniques(e.attacks()).items():
        caught = t.get("caught", 0)
        seen = ", ".join(f"{t[v]} {v}" for v in NOT_CAUGHT if t.get(v)) or "-"
        lines.append(
            f"| {name} | {t['scenarios']} | {caught} | {caught / t['scenarios']:.2f} | {seen} |"
        )
    return "\n".join([*lines, "", *summary(e)])


def summary(e: Evaluation) -> list[str]:
    """The overall lines of the report, targets last."""
    n, caught = len(e.attacks()), e.count("caught")
    loud, quiet, real = e.attacks("loud"), e.attacks("quiet"), e.attacks("real")
    precision = e.true_findings / e.findings if e.findings else 0.0
    median, longest = minutes_to_detect(e)
    negatives = e.hard_negatives
    b = e.budget
    return [
        f"attacks caught          {caught}/{n}   (loud {e.count('caught', 'loud')}/{len(loud)}, "
        f"quiet {e.count('caught', 'quiet')}/{len(quiet)}"
        + (f", real incidents {e.count('caught', 'real')}/{len(real)}" if real else "")
        + "; severity >= 4, at most 48 h)",
        f"  not caught            seen only at Low {e.count('low')}, only by findings > 48 h "
        f"{e.count('long')}, missed {e.count('missed')}",
        f"finding type as labelled {sum(o.type_matched for o in e.attacks())}/{caught}",
        f"precision (findings)    {precision:.2f}   ({e.true_findings}/{e.findings})",
        f"false positives         {_num(e.fp_per_100)} per 100 principals per day after learning"
        f" (Medium+ {_num(e.fp_medium_plus_per_100)})",
        f"  counted               {e.false_findings} in {e.principal_days} benign principal-days"
        f" ({e.false_medium_plus} Medium+); {e.false_in_learning} more in the learning period",
        f"  by detector           {e.by_detector}",
        f"precision at budget     {_num(b.precision)}   ({b.true_alerts}/{b.alerts} read at "
        f"{b.per_100:g} per 100 principals per day; recall {_num(budget_recall(e))})",
        f"hard negatives flagged  {sum(o.verdict == 'flagged' for o in negatives)}/{len(negatives)}"
        f" at Medium+   ({sum(o.verdict != 'quiet' for o in negatives)} at any severity)",
        f"time to detect          median {median} min, max {longest} min from the attack's start",
        "                        (rule: its first event; model: the end of its first hour)",
        f"attack sequences        {e.sequences}; planted attacks ending as one sequence "
        f"{e.attacks_as_one_sequence}/{n}; on benign principals {e.benign_sequences} (target 0)",
        "targets (the detection goals trailguard is held to; docs/detection.md)",
        *(f"  {t.name + ' ' + t.goal:<36} {mark(t)}" for t in targets(e)),
    ]


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def curve(e: Evaluation) -> list[PRPoint]:
    """The evaluation's precision-recall curve (`pipeline.evaluation.ranking.pr_curve`)."""
    return pr_curve(e.ranked, len(e.attacks()))


def to_dict(e: Evaluation) -> dict[str, Any]:
    """Every number of an evaluation, JSON-ready, with its PR curve."""
    median, longest = minutes_to_detect(e)
    negatives = e.hard_negatives
    return {
        "recall": _recall(e, None),
        "loud": _recall(e, "loud"),
        "quiet": _recall(e, "quiet"),
        "real": _recall(e, "real"),
        "not_caught": {v: e.count(v) for v in NOT_CAUGHT},
        "type_matched": sum(o.type_matched for o in e.attacks()),
        "techniques": techniques(e.attacks()),
        "hard_negatives": {
            "scenarios": len(negatives),
            "flagged_medium_plus": sum(o.verdict == "flagged" for o in negatives),
            "flagged_any_severity": sum(o.verdict != "quiet" for o in negatives),
            "techniques": techniques(negatives),
        },
        "findings": {"active": e.findings, "true": e.true_findings},
        "false_positives": {
            "counted": e.false_findings,
            "medium_plus": e.false_medium_plus,
            "in_learning_period": e.false_in_learning,
            "benign_principal_days": e.principal_days,
            "days": e.days,
            "per_100_principals_per_day": e.fp_per_100,
            "medium_plus_per_100_principals_per_day": e.fp_medium_plus_per_100,
            "without_root_per_100_principals_per_day": e.fp_without_root_per_100,
            "by_detector": e.by_detector,
        },
        "budget": {
            "per_100_principals_per_day": e.budget.per_100,
            "alerts": e.budget.alerts,
            "true_alerts": e.budget.true_alerts,
            "precision": e.budget.precision,
            "recall": budget_recall(e),
        },
        "minutes_to_detect": {"median": median, "max": longest},
        "attack_sequences": {
            "sequences": e.sequences,
            "attacks_as_one_sequence": e.attacks_as_one_sequence,
            "attacks": len(e.attacks()),
            "on_benign_principals": e.benign_sequences,
        },
        "targets": [
            {"name": t.name, "goal": t.goal, "value": t.value, "met": t.met} for t in targets(e)
        ],
        "scenarios": [
            {
                "id": o.scenario.id,
                "kind": o.scenario.kind,
                "technique": o.scenario.technique,
                "difficulty": o.scenario.difficulty,
                "verdict": o.verdict,
                "type_matched": o.type_matched,
                "minutes_to_detect": o.minutes_to_detect,
            }
            for o in e.outcomes
        ],
        "pr_curve": [asdict(p) for p in curve(e)],
    }


def _recall(e: Evaluation, difficulty: str | None) -> dict[str, Any]:
    return {
        "attacks": len(e.attacks(difficulty)),
        "caught": e.count("caught", difficulty),
        "value": e.recall(difficulty),
    }
