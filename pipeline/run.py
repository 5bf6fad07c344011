"""`trailguard run`: ingest -> features -> (train) -> detect, as plain function calls.

The same stages the Prefect `trailguard_pipeline` flow runs, for people who run trailguard from
cron or by hand. A model is trained when the lake has none (or when asked); until there is enough
history to train one, the exact rules still run and the result says why the model did not.

Features come before the findings detection makes of them, yet the events inside an active finding
must stay out of the history of the hours after it (`pipeline.features.incidents`). So a run
settles: while detection creates or grows findings, the features of the hours after their first
event are recomputed (the feature run itself sees which, from the spans it last used) and
detection runs again from there. Findings are only added or grown, never removed, by detection,
so the rounds end; `SETTLE_ROUNDS` bounds them all the same.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from trailguard.models.isolation_forest import ModelInfo, latest_model
from trailguard.pipeline.config import DEFAULTS
from trailguard.pipeline.detect.anomaly_findings import ML_DETECTOR
from trailguard.pipeline.detect.detect import DetectStats, run_detection, train_model
from trailguard.pipeline.features.build import FeatureStats, build_features
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.summary import IngestSummary
from trailguard.pipeline.lake.views import LakeEmpty, has_events

log = logging.getLogger(__name__)
SETTLE_ROUNDS = 3  # features and detection again after the first detection, at most


@dataclass
class PipelineResult:
    """What each stage of a run did."""

    ingest: IngestSummary | None
    features: FeatureStats
    model: ModelInfo | None
    detect: DetectStats  # every round's detection, as one (`merged`)
    notes: list[str] = field(default_factory=list)
    rescored: list[FeatureStats] = field(default_factory=list)  # the features of each settle round


def run_pipeline(
    lake: Path,
    *,
    source: str | None = None,
    endpoint_url: str | None = None,
    retrain: bool = False,
    baseline_days: int = DEFAULTS.baseline_days,
    train_until: datetime | None = None,
    workers: int | None = None,
    sigma: Sequence[str] = DEFAULTS.sigma_rules,
    trusted_accounts: Sequence[str] = DEFAULTS.trusted_accounts,
) -> PipelineResult:
    """Ingest `source` (if given) into `lake`, build features, train if needed, detect (with the
    Sigma rules of `sigma`: folders, or `bundled`)."""
    notes: list[str] = []
    summary = ingest(source, lake, endpoint_url=endpoint_url, workers=workers) if source else None
    if not has_events(lake):
        raise LakeEmpty(no_events(lake, source, summary))
    features = build_features(lake)
    model, note = ensure_model(
        lake, retrain=retrain, baseline_days=baseline_days, train_until=train_until
    )
    notes.extend([note] if note else [])
    detect = run_detection(lake, sigma=sigma, trusted_accounts=trusted_accounts)
    detect, rescored = settle(
        detect,
        lambda: build_features(lake),
        lambda since: run_detection(
            lake, since=since, sigma=sigma, trusted_accounts=trusted_accounts
        ),
    )
    return PipelineResult(summary, features, model, detect, notes + list(detect.notes), rescored)


def settle(
    detect: DetectStats,
    features: Callable[[], FeatureStats],
    rescore: Callable[[datetime], DetectStats],
) -> tuple[DetectStats, list[FeatureStats]]:
    """Recompute the features the run's findings made stale (`features`: an incremental feature
    run, which starts at the first hour whose history a new or grown finding changed) and
    detect again from that hour (`rescore`), until no finding changes; without a model only the
    features (the rules read events, not features). Returns every round's detection as one and
    each round's feature stats."""
    rounds: list[FeatureStats] = []
    for _ in range(SETTLE_ROUNDS):
        again = features()
        if again.window_start is None:
            break  # the stored rows already leave every finding out
        rounds.append(again)
        if detect.model_version is None:
            break
        detect = merged(detect, rescore(again.window_start))
    return detect, rounds


def merged(first: DetectStats, later: DetectStats) -> DetectStats:
    """A detection and its rerun on recomputed features as one: each finding once (the rerun's
    version), created and updated summed (a finding is created once: one the rerun changed
    again counts as updated too), the rerun's new anomaly findings added to the anomaly count,
    the archived counts summed (each counts the findings it newly archived), the rerun's notes
    (its attack sequences are the final ones)."""
    known = {f.finding_id for f in first.findings}
    latest = {f.finding_id: f for f in later.findings}
    added = [f for f in later.findings if f.finding_id not in known]
    return dataclasses.replace(
        first,
        findings=[latest.get(f.finding_id, f) for f in first.findings] + added,
        ml_findings=first.ml_findings + sum(f.detector == ML_DETECTOR for f in added),
        created=first.created + later.created,
        updated=first.updated + later.updated,
        archived=first.archived + later.archived,
        notes=list(later.notes),
    )


def ensure_model(
    lake: Path, *, retrain: bool, baseline_days: int, train_until: datetime | None
) -> tuple[ModelInfo | None, str | None]:
    """The latest model, trained first when there is none (or `retrain`), and a note when no
    model could be trained: too little history is a normal state of a young lake, in which the
    exact rules still run."""
    model = latest_model(lake)
    if model is not None and not retrain:
        return model, None
    try:
        return train_model(lake, baseline_days=baseline_days, now=train_until), None
    except ValueError as exc:
        log.warning("no model trained: %s", exc)
        return model, f"no model trained yet, exact rules only: {exc}"


def no_events(lake: Path, source: str | None, summary: IngestSummary | None) -> str:
    """Why a run has nothing to work on: a source with no CloudTrail object (a wrong bucket or
    prefix), objects with no event the lake could keep, or no source at all."""
    if source is None or summary is None:
        return f"the lake {lake} holds no events yet: give --source s3://BUCKET[/PREFIX] or DIR"
    if not (summary.objects or summary.skipped_objects or summary.failed):
        return (
            f"found no CloudTrail log file under {source}: check --source (CloudTrail writes "
            "s3://BUCKET/[PREFIX/]AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz)"
        )
    return (
        f"the {summary.objects:,} objects read from {source} held no event the lake could keep "
        f"({summary.quarantined:,} records quarantined, {len(summary.failed):,} objects "
        "unreadable): the quarantine table says why"
    )
