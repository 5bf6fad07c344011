"""`trailguard demo`: a synthetic organisation, end to end, scored against its own labels.

Generates the organisation (unless DIR already holds it), with the real incidents of
`pipeline.synth.real_incidents` laid in after its learning period; runs the same pipeline as
`trailguard run` with the model trained on the benign learning period before the first scenario,
and prints what was found next to what was planted: the yardstick of `trailguard evaluate`.
Ends by writing `DIR/report.html` (`trailguard report` with the labels).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from trailguard.pipeline import config
from trailguard.pipeline.evaluation.evaluate import Evaluation, evaluate
from trailguard.pipeline.evaluation.labels import LakeInputs, lake_inputs
from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET, POPULATIONS
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.report.build import REPORT, write_report
from trailguard.pipeline.run import PipelineResult, run_pipeline
from trailguard.pipeline.synth.defaults import DEFAULT_START
from trailguard.pipeline.synth.generate import generate_organisation
from trailguard.pipeline.synth.real_incidents import days_needed, incidents_digest
from trailguard.pipeline.synth.scenario import load
from trailguard.pipeline.synth.schedule import learning_days

LABELS = "labels.json"
MARKER = "demo.json"  # what a demo generated, written before and after generating


@dataclass(frozen=True)
class DemoSettings:
    """The organisation to generate (see `trailguard synth`) and where to keep it."""

    out: Path
    days: int = 21
    accounts: int = 6
    principals: int = 180
    seed: int = 7
    intensity: float = 1.0  # benign call rate (`trailguard synth --intensity`)
    population: str = "both"  # benign novelties planted: one of matrix.POPULATIONS
    habits: str = "steady"  # everyday behaviour (`trailguard synth --habits`)


@dataclass
class DemoResult:
    """The pipeline's result and its evaluation against the labels."""

    data: Path
    lake: Path
    generated_events: int | None  # None when the data was already there
    pipeline: PipelineResult
    evaluation: Evaluation
    report: Path
    inputs: LakeInputs  # what the evaluation read: `trailguard eval` scores the analyst's week too


def run_demo(settings: DemoSettings, *, budget: float = DEFAULT_BUDGET) -> DemoResult:
    """Generate (or reuse) the organisation, run the pipeline, evaluate against the labels
    (false positives counted after the same learning period the model trains on)."""
    data, lake = settings.out / "data", settings.out / "lake"
    generated = prepare_organisation(settings)
    result = run_pipeline(
        lake,
        source=str(data / "AWSLogs"),  # labels.json beside it is not CloudTrail
        train_until=training_end(settings),
        baseline_days=learning_days(settings.days),
        sigma=config.settings().sigma_rules,  # TRAILGUARD_SIGMA_RULES, as `trailguard detect`
    )
    with open_db(lake, read_only=True) as con:
        inputs = lake_inputs(con, data / LABELS, learning_days(settings.days))
    evaluation = evaluate(*inputs, budget)
    report = write_report(lake, settings.out / REPORT, labels=data / LABELS, evaluation=evaluation)
    return DemoResult(data, lake, generated, result, evaluation, report, inputs)


def prepare_organisation(settings: DemoSettings) -> int | None:
    """Reuse the organisation in `<out>/data` (None), or generate it (its number of events)."""
    data, lake = settings.out / "data", settings.out / "lake"
    return None if _same_org(data, settings) else _start_over(data, lake, settings)


def _start_over(data: Path, lake: Path, settings: DemoSettings) -> int:
    """Generate the organisation into an empty `data`, after removing an earlier demo's data
    and lake (another seed or size: mixing two organisations would make the labels wrong).
    Refuses to touch a folder a demo did not make."""
    if (data / MARKER).is_file():
        shutil.rmtree(data)
        shutil.rmtree(lake, ignore_errors=True)
    for folder in (data, lake):
        if folder.exists() and any(folder.iterdir()):
            raise ValueError(
                f"{folder} is not empty and was not made by `trailguard demo`; choose another --out"
            )
    data.mkdir(parents=True, exist_ok=True)
    (data / MARKER).write_text(json.dumps({**_fingerprint(settings), "complete": False}))
    summary = generate_organisation(
        str(data),
        days=settings.days,
        accounts=settings.accounts,
        principals=settings.principals,
        seed=settings.seed,
        intensity=settings.intensity,
        attacks=scenarios(settings.population),
        real_incidents=lays_incidents(settings),
        habits=settings.habits,
    )
    (data / MARKER).write_text(json.dumps({**_fingerprint(settings), "complete": True}))
    return summary.events


def _same_org(data: Path, settings: DemoSettings) -> bool:
    """True when `data` already holds the whole organisation these settings generate."""
    marker = data / MARKER
    if not marker.is_file():
        return False
    written = json.loads(marker.read_text())
    complete = written.pop("complete", True)  # demos before 0.1 wrote it only when done
    return bool(complete) and written == _fingerprint(settings)


def lays_incidents(settings: DemoSettings) -> bool:
    """The real incidents are laid in when they fit: after learning, within the last day."""
    return settings.days >= days_needed(learning_days(settings.days))


def _fingerprint(settings: DemoSettings) -> dict[str, float | str]:
    fingerprint: dict[str, float | str] = {
        "days": settings.days,
        "accounts": settings.accounts,
        "principals": settings.principals,
        "seed": settings.seed,
        "start": DEFAULT_START.isoformat(),
    }
    if lays_incidents(settings):  # other incident code: generated again
        fingerprint["real_incidents"] = incidents_digest()
    if settings.intensity != 1.0:  # only then: folders of earlier demos stay valid
        fingerprint["intensity"] = settings.intensity
    if settings.population != "both":
        fingerprint["population"] = settings.population
    if settings.habits != "steady":
        fingerprint["habits"] = settings.habits
    return fingerprint


# The hard negatives of each population, by technique id prefix. `both` stays classic and life
# (what it was before `ops`, so its organisations are unchanged); `all` is every scenario.
_HARD_NEGATIVES = {
    "classic": ("tg.benign.",),
    "life": ("tg.life.",),
    "ops": ("tg.ops.",),
    "both": ("tg.benign.", "tg.life."),
}


def scenarios(population: str) -> list[str] | None:
    """The scenario ids an organisation of `population` plants: every attack, and the hard
    negatives of that population (None, for `all`: every registered scenario)."""
    if population == "all":
        return None
    if population not in _HARD_NEGATIVES:
        raise ValueError(f"unknown population {population!r}: known are {', '.join(POPULATIONS)}")
    keep = _HARD_NEGATIVES[population]
    registry = load()
    return sorted(t.id for t in registry.values() if t.kind == "attack" or t.id.startswith(keep))


def training_end(settings: DemoSettings) -> datetime:
    """The end of the benign learning period the demo trains on."""
    return DEFAULT_START + timedelta(days=learning_days(settings.days))
