"""The text `trailguard eval` prints: per run and pooled, the targets marked met or missed on
each organisation, an analyst's first week, per technique and the pooled noise.

Pure: the benchmark is run by benchmark.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from trailguard.pipeline.evaluation.benchmark import Benchmark
from trailguard.pipeline.evaluation.evaluate import Evaluation
from trailguard.pipeline.evaluation.matrix import role_of
from trailguard.pipeline.evaluation.scorecard import (
    NOT_CAUGHT,
    budget_recall,
    mark,
    minutes_to_detect,
    targets,
    techniques,
)
from trailguard.pipeline.report.output import format_table

RUN_COLUMNS = [
    "run",
    "events",
    "caught",
    "recall",
    "loud",
    "quiet",
    "real",
    "Low/long/missed",
    "HN Medium+",
    "HN any",
    "FP/100p/day",
    "(Medium+)",
    "(no root)",
    "P@budget",
    "R@budget",
    "median min",
]


TARGETS_HEADING = "Targets (the detection goals trailguard is held to; docs/detection.md):"


def format_benchmark(bench: Benchmark) -> str:
    """Per run and pooled, then the targets marked met or missed, then per technique."""
    names = [f"{r.name} ({role_of(r.seed)})" for r in bench.runs] + ["pooled"]
    evals = [r.evaluation for r in bench.runs] + [bench.pooled]
    events = [r.events for r in bench.runs] + [sum(r.events for r in bench.runs)]
    rows = [_row(*args) for args in zip(names, events, evals, strict=True)]
    goals = [
        [t.name, t.goal, *(mark(targets(e)[i]) for e in evals)]
        for i, t in enumerate(targets(bench.pooled))
    ]
    return "\n\n".join(
        [
            _table(RUN_COLUMNS, rows),
            TARGETS_HEADING + "\n" + _table(["target", "goal", *names], goals),
            _every(bench),
            _analyst(bench),
            _techniques(bench.pooled),
            _noise(bench.pooled),
        ]
    )


def _row(name: str, events: int, e: Evaluation) -> list[object]:
    negatives = e.hard_negatives
    return [
        name,
        f"{events:,}",
        f"{e.count('caught')}/{len(e.attacks())}",
        _num(e.recall()),
        f"{e.count('caught', 'loud')}/{len(e.attacks('loud'))}",
        f"{e.count('caught', 'quiet')}/{len(e.attacks('quiet'))}",
        f"{e.count('caught', 'real')}/{len(e.attacks('real'))}",
        "/".join(str(e.count(v)) for v in NOT_CAUGHT),
        f"{sum(o.verdict == 'flagged' for o in negatives)}/{len(negatives)}",
        sum(o.verdict != "quiet" for o in negatives),
        _num(e.fp_per_100),
        _num(e.fp_medium_plus_per_100),
        _num(e.fp_without_root_per_100),
        _num(e.budget.precision),
        _num(budget_recall(e)),
        _median(e),
    ]


def _table(columns: list[str], rows: Sequence[Sequence[object]]) -> str:
    """`format_table` without its row count."""
    return format_table(columns, rows).rsplit("\n", 1)[0]


def _every(bench: Benchmark) -> str:
    """Whether each target holds on every organisation (not only pooled), and which runs were
    used for tuning and which are held out."""
    lines = ["Every organisation (targets hold per run, not only pooled):"]
    for i, target in enumerate(targets(bench.pooled)):
        marks = [targets(r.evaluation)[i].met for r in bench.runs]
        held = all(m is not False for m in marks)
        missed = [r.name for r, m in zip(bench.runs, marks, strict=True) if m is False]
        verdict = "met" if held else f"MISSED on {', '.join(missed)}"
        lines.append(f"  {target.name} {target.goal}: {verdict}")
    tuning = [r.name for r in bench.runs if role_of(r.seed) == "tuning"]
    held_out = [r.name for r in bench.runs if role_of(r.seed) != "tuning"]
    lines.append(f"Tuning: {', '.join(tuning) or '-'}; held out: {', '.join(held_out) or '-'}")
    return "\n".join(lines)


ANALYST_COLUMNS = [
    "run",
    "archived",
    "rules",
    "FP/100p/day after",
    "with rules",
    "(Medium+)",
    "recall after",
    "attack findings archived",
]


def _analyst(bench: Benchmark) -> str:
    """An analyst's first week (pipeline/evaluation/analyst.py): what archiving every false
    positive of the week after learning with "suppress similar" does to the days after it."""
    rows = []
    for run in bench.runs:
        week = run.analyst
        if week is None:
            continue
        rows.append(
            [
                run.name,
                week.archived,
                week.rules,
                _num(week.before.fp_per_100),
                _num(week.after.fp_per_100),
                f"{_num(week.before.fp_medium_plus_per_100)} -> "
                f"{_num(week.after.fp_medium_plus_per_100)}",
                f"{_num(week.before.recall())} -> {_num(week.after.recall())}",
                week.attack_findings_archived,
            ]
        )
    heading = (
        "An analyst's first week: every false positive of the week after learning archived with "
        '"suppress similar" (one rule per principal family and type); false positives per 100 '
        "principals per day from the week after, as detected and with the rules:"
    )
    return heading + "\n" + (_table(ANALYST_COLUMNS, rows) if rows else "  (no day follows it)")


def _techniques(e: Evaluation) -> str:
    attacks = []
    for name, t in techniques(e.attacks()).items():
        caught = t.get("caught", 0)
        other = ", ".join(f"{t[v]} {v}" for v in NOT_CAUGHT if t.get(v)) or "-"
        attacks.append([name, t["scenarios"], caught, f"{caught / t['scenarios']:.2f}", other])
    negatives = [
        [name, t["scenarios"], t.get("flagged", 0), t.get("low", 0), t.get("quiet", 0)]
        for name, t in techniques(e.hard_negatives).items()
    ]
    return "\n\n".join(
        [
            "Per technique, pooled (not caught: seen only at Low, only by findings > 48 h, "
            "missed):\n"
            + _table(["technique", "attacks", "caught", "recall", "not caught"], attacks),
            "Hard negatives, pooled:\n"
            + _table(["hard negative", "runs", "Medium+", "Low only", "quiet"], negatives),
        ]
    )


def _noise(e: Evaluation) -> str:
    return (
        f"Pooled false positives after learning: {e.false_findings} in {e.principal_days:,} "
        f"benign principal-days ({e.false_medium_plus} Medium+), by detector {e.by_detector}; "
        f"{e.false_in_learning} more in the learning periods (not counted).\n"
        f"Alert budget: {e.budget.per_100:g} findings per 100 principals per day, "
        f"{e.budget.true_alerts}/{e.budget.alerts} read were attacks."
    )


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def _median(e: Evaluation) -> str:
    median, _ = minutes_to_detect(e)
    return "-" if median is None else f"{median:.1f}"
