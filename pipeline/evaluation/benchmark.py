"""`trailguard eval`: the detection-quality benchmark over several organisations.

Each (size, seed) of the matrix is one `trailguard demo` run in `<out>/<size>-seed<seed>/`: the
organisation is generated once and reused while its settings stay the same; the lake is rebuilt
every time (a kept lake would still hold findings stored by earlier detection code). The
evaluations are printed per run and pooled (counts added: never tune on one seed), with issue 18's
targets marked, and written to `<out>/eval.json` and `<out>/pr_curve.png`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from trailguard.pipeline.evaluation.analyst import AnalystWeek
from trailguard.pipeline.evaluation.demo import (
    LABELS,
    MARKER,
    DemoSettings,
    run_demo,
)
from trailguard.pipeline.evaluation.evaluate import Evaluation, pool
from trailguard.pipeline.evaluation.labels import analyst_week_of_lake
from trailguard.pipeline.evaluation.matrix import (
    DEFAULT_BUDGET,
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    SIZES,
    population_of,
    role_of,
)
from trailguard.pipeline.evaluation.scorecard import (
    NOT_CAUGHT,
    budget_recall,
    curve,
    mark,
    minutes_to_detect,
    targets,
    techniques,
    to_dict,
)
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.report.output import format_table
from trailguard.pipeline.synth.schedule import learning_days


@dataclass(frozen=True)
class EvalSettings:
    """The matrix (every size with every seed), where to keep it, and the alert budget."""

    out: Path
    seeds: tuple[int, ...] = DEFAULT_SEEDS
    sizes: tuple[str, ...] = DEFAULT_SIZES
    budget: float = DEFAULT_BUDGET


@dataclass(frozen=True)
class Run:
    """One organisation of the matrix, evaluated."""

    name: str
    size: str
    seed: int
    events: int
    generated: bool  # False when the organisation on disk was reused
    seconds: float
    evaluation: Evaluation
    analyst: AnalystWeek | None = None  # an analyst's first week of triage (analyst.py)


@dataclass(frozen=True)
class Benchmark:
    """Every run and their pooled evaluation."""

    settings: EvalSettings
    runs: list[Run]
    pooled: Evaluation
    seconds: float


def run_benchmark(
    settings: EvalSettings, progress: Callable[[str], None] | None = None
) -> Benchmark:
    """Run the demo pipeline on every organisation of the matrix and pool the evaluations."""
    unknown = [s for s in settings.sizes if s not in SIZES]
    if unknown:
        raise ValueError(f"unknown sizes {unknown}: known are {', '.join(SIZES)}")
    if not settings.sizes or not settings.seeds:
        raise ValueError("eval needs at least one seed and one size")
    began = time.monotonic()
    runs = []
    for size in settings.sizes:
        for seed in settings.seeds:
            if progress:
                progress(f"{size}-seed{seed}-{population_of(seed)} ({role_of(seed)}) ...")
            runs.append(run_one(settings, size, seed))
            if progress:
                progress(f"{runs[-1].name}: {runs[-1].seconds:.0f}s")
    pooled = pool({r.name: r.evaluation for r in runs})
    return Benchmark(settings, runs, pooled, time.monotonic() - began)


def run_one(settings: EvalSettings, size: str, seed: int) -> Run:
    """One organisation: reuse or generate it, rebuild its lake, run the pipeline, evaluate."""
    began = time.monotonic()
    org = SIZES[size]
    population = population_of(seed)
    name = f"{size}-seed{seed}-{population}"
    demo = DemoSettings(
        settings.out / name,
        org.days,
        org.accounts,
        org.principals,
        seed,
        org.intensity,
        population,
    )
    _clear(demo)
    result = run_demo(demo, budget=settings.budget)
    events = result.pipeline.ingest.written if result.pipeline.ingest else 0
    generated = result.generated_events is not None
    with open_db(result.lake, read_only=True) as con:
        analyst = analyst_week_of_lake(
            con,
            result.data / LABELS,
            learning_days=learning_days(org.days),
            budget=settings.budget,
        )
    seconds = time.monotonic() - began
    return Run(name, size, seed, events, generated, seconds, result.evaluation, analyst)


def _clear(demo: DemoSettings) -> None:
    """Remove the run's lake, so the figures are the current code's (`run_demo` reuses the data,
    or replaces it when it holds another organisation)."""
    data, lake = demo.out / "data", demo.out / "lake"
    if data.exists() and not (data / MARKER).is_file():
        raise ValueError(f"{data} exists and was not written by trailguard eval or demo")
    if lake.exists():
        shutil.rmtree(lake)


def to_json(bench: Benchmark) -> dict[str, Any]:
    """Every number of the benchmark: settings, each run, and the pooled evaluation."""
    s = bench.settings
    return {
        "settings": {
            "seeds": list(s.seeds),
            "sizes": {name: asdict(SIZES[name]) for name in s.sizes},
            "budget_per_100_principals_per_day": s.budget,
        },
        "seconds": round(bench.seconds, 1),
        "runs": [
            {
                "name": r.name,
                "size": r.size,
                "seed": r.seed,
                "population": population_of(r.seed),
                "role": role_of(r.seed),
                "events": r.events,
                "generated": r.generated,
                "seconds": round(r.seconds, 1),
                **to_dict(r.evaluation),
                "analyst_first_week": _analyst_json(r.analyst),
            }
            for r in bench.runs
        ],
        "pooled": to_dict(bench.pooled),
    }


def write_results(bench: Benchmark) -> tuple[Path, Path]:
    """`<out>/eval.json` and `<out>/pr_curve.png`; returns their paths."""
    from trailguard.pipeline.evaluation.pr_plot import write_pr_curve

    out = bench.settings.out
    out.mkdir(parents=True, exist_ok=True)
    data = out / "eval.json"
    data.write_text(json.dumps(to_json(bench), indent=2) + "\n", encoding="utf-8")
    png = out / "pr_curve.png"
    write_pr_curve(png, {r.name: curve(r.evaluation) for r in bench.runs}, curve(bench.pooled))
    return data, png


RUN_COLUMNS = [
    "run",
    "events",
    "caught",
    "recall",
    "loud",
    "quiet",
    "Low/long/missed",
    "HN Medium+",
    "HN any",
    "FP/100p/day",
    "(Medium+)",
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
        "/".join(str(e.count(v)) for v in NOT_CAUGHT),
        f"{sum(o.verdict == 'flagged' for o in negatives)}/{len(negatives)}",
        sum(o.verdict != "quiet" for o in negatives),
        _num(e.fp_per_100),
        _num(e.fp_medium_plus_per_100),
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


def _analyst_json(week: AnalystWeek | None) -> dict[str, Any] | None:
    if week is None:
        return None
    return {
        "week": [week.week_start.isoformat(), week.week_end.isoformat()],
        "false_positives_archived": week.archived,
        "suppression_rules": week.rules,
        "after_the_week": {
            "fp_per_100_principals_per_day": week.before.fp_per_100,
            "fp_per_100_principals_per_day_with_rules": week.after.fp_per_100,
            "medium_plus_fp_per_100_principals_per_day": week.before.fp_medium_plus_per_100,
            "medium_plus_fp_per_100_principals_per_day_with_rules": (
                week.after.fp_medium_plus_per_100
            ),
            "recall": week.before.recall(),
            "recall_with_rules": week.after.recall(),
            "attack_findings_archived": week.attack_findings_archived,
        },
    }


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
