"""The `trailguard_pipeline` flow: ingest -> features -> (train) -> detect, as `trailguard run`.

Each stage is the stage's own flow, run as a subflow (its logs, retries and artifacts stay
together); training is a task here, because "not enough history for a model yet" is a normal
state of a young lake, not a failed run: the rules still run, as in `trailguard.pipeline.run`.
Like `trailguard run`, the flow settles after detection (`run.settle`): the features the new
findings made stale are recomputed and detection runs again from their first hour, as subflows;
the run's findings artifact then shows what the whole run created or changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger

from trailguard.flows.detect import detect, publish, snapshot_findings
from trailguard.flows.features import build_features
from trailguard.flows.ingest import ingest
from trailguard.flows.params import (
    SETTINGS,
    BaselineDays,
    DaskAddress,
    DaskWorkers,
    EndpointUrl,
    Lake,
    Shards,
    Source,
    TaskRunnerKind,
    TopFindings,
)
from trailguard.flows.retries import io_task
from trailguard.flows.runners import shared_cluster
from trailguard.models.isolation_forest import ModelInfo
from trailguard.pipeline import run
from trailguard.pipeline.detect.detect import DetectStats
from trailguard.pipeline.features.build import FeatureStats
from trailguard.pipeline.ingest.summary import IngestSummary


@dataclass
class PipelineRun:
    """What each stage of the flow run did."""

    ingest: IngestSummary | None
    features: FeatureStats
    model: ModelInfo | None
    detect: DetectStats  # every round's detection, as one (`run.merged`)
    notes: list[str] = field(default_factory=list)
    rescored: list[FeatureStats] = field(default_factory=list)  # each settle round's features


@io_task
def ensure_model(
    lake: Path, retrain: bool, baseline_days: int, until: datetime | None
) -> tuple[ModelInfo | None, str | None]:
    """The latest model, trained first if there is none (or `retrain`); a note if it cannot be."""
    return run.ensure_model(lake, retrain=retrain, baseline_days=baseline_days, train_until=until)


@flow(name="trailguard_pipeline")
def trailguard_pipeline(
    source: Source | None = None,
    lake: Lake = SETTINGS.lake,
    endpoint_url: EndpointUrl = None,
    retrain: bool = False,
    baseline_days: BaselineDays = SETTINGS.baseline_days,
    train_until: datetime | None = None,
    top_findings: TopFindings = 20,
    task_runner: TaskRunnerKind = "thread",
    dask_address: DaskAddress = None,
    dask_workers: DaskWorkers = None,
    shards: Shards = None,
) -> PipelineRun:
    """Ingest `source` (if given), build features, train when needed, detect.

    Ingest, features and scoring map their parts on `task_runner`; with Dask and no address,
    one local cluster serves the three stages."""
    logger = get_run_logger()
    summary = None
    with shared_cluster(task_runner, dask_address, dask_workers) as address:
        if source:
            summary = ingest(source, lake, endpoint_url, task_runner, address, dask_workers)
        features = build_features(
            lake,
            shards=shards,
            task_runner=task_runner,
            dask_address=address,
            dask_workers=dask_workers,
        )
        model, note = ensure_model(lake, retrain, baseline_days, train_until)
        if note:
            logger.warning("%s", note)
        before = snapshot_findings(lake)
        stats = detect(
            lake,
            top_findings=top_findings,
            shards=shards,
            task_runner=task_runner,
            dask_address=address,
            dask_workers=dask_workers,
        )
        stats, rescored = run.settle(
            stats,
            lambda: build_features(
                lake,
                shards=shards,
                task_runner=task_runner,
                dask_address=address,
                dask_workers=dask_workers,
            ),
            lambda since: detect(
                lake,
                since=since,
                top_findings=top_findings,
                shards=shards,
                task_runner=task_runner,
                dask_address=address,
                dask_workers=dask_workers,
            ),
        )
        if rescored:  # each detect subflow showed its own round: show the whole run's
            publish(lake, before, top_findings)
    notes = [*([note] if note else []), *stats.notes]
    return PipelineRun(summary, features, model, stats, notes, rescored)
