"""`trailguard eval`: running the detection-quality benchmark over several organisations.

Each (size, seed) of the matrix is one `trailguard demo` run in `<out>/<size>-seed<seed>/`: the
organisation is generated once and reused while its settings stay the same; the lake is rebuilt
every time (a kept lake would still hold findings stored by earlier detection code). The
evaluations are pooled (counts added: never tune on one seed). What the command prints is
benchmark_text.py; `<out>/eval.json` and `<out>/pr_curve.png` are benchmark_results.py.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from trailguard.pipeline.evaluation.analyst import AnalystWeek, first_week
from trailguard.pipeline.evaluation.demo import MARKER, DemoSettings, run_demo
from trailguard.pipeline.evaluation.evaluate import Evaluation, pool
from trailguard.pipeline.evaluation.matrix import (
    DEFAULT_BUDGET,
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    SIZES,
    habits_of,
    population_of,
    role_of,
    run_name,
)


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
                progress(f"{run_name(size, seed)} ({role_of(seed)}) ...")
            runs.append(run_one(settings, size, seed))
            if progress:
                progress(f"{runs[-1].name}: {runs[-1].seconds:.0f}s")
    pooled = pool({r.name: r.evaluation for r in runs})
    return Benchmark(settings, runs, pooled, time.monotonic() - began)


def run_one(settings: EvalSettings, size: str, seed: int) -> Run:
    """One organisation: reuse or generate it, rebuild its lake, run the pipeline, evaluate it
    and an analyst's first week (both from the lake's findings and labels, read once)."""
    began = time.monotonic()
    org = SIZES[size]
    name = run_name(size, seed)
    demo = DemoSettings(
        settings.out / name,
        org.days,
        org.accounts,
        org.principals,
        seed,
        org.intensity,
        population_of(seed),
        habits_of(seed),
    )
    _clear(demo)
    result = run_demo(demo, budget=settings.budget)
    events = result.pipeline.ingest.written if result.pipeline.ingest else 0
    generated = result.generated_events is not None
    analyst = first_week(*result.inputs, settings.budget)
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
