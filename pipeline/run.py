"""`trailguard run`: ingest -> features -> (train) -> detect, as plain function calls.

The same stages the Prefect `trailguard_pipeline` flow runs, for people who run trailguard from
cron or by hand. A model is trained when the lake has none (or when asked); until there is enough
history to train one, the exact rules still run and the result says why the model did not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from models.isolation_forest import ModelInfo, latest_model
from pipeline.detect import DetectStats, run_detection, train_model
from pipeline.features import FeatureStats, build_features
from pipeline.ingest import IngestSummary, ingest

log = logging.getLogger(__name__)


@dataclass
class PipelineResult:
    """What each stage of a run did."""

    ingest: IngestSummary | None
    features: FeatureStats
    model: ModelInfo | None
    detect: DetectStats
    notes: list[str] = field(default_factory=list)


def run_pipeline(
    lake: Path,
    *,
    source: str | None = None,
    endpoint_url: str | None = None,
    retrain: bool = False,
    baseline_days: int = 14,
    train_until: datetime | None = None,
    workers: int | None = None,
) -> PipelineResult:
    """Ingest `source` (if given) into `lake`, build features, train if needed, detect."""
    notes: list[str] = []
    summary = ingest(source, lake, endpoint_url=endpoint_url, workers=workers) if source else None
    features = build_features(lake)
    model = latest_model(lake)
    if model is None or retrain:
        model = _train(lake, baseline_days, train_until, notes) or model
    detect = run_detection(lake)
    return PipelineResult(summary, features, model, detect, notes + list(detect.notes))


def _train(
    lake: Path, baseline_days: int, until: datetime | None, notes: list[str]
) -> ModelInfo | None:
    """A new model, or None (with a note) while the lake has too little history for one."""
    try:
        return train_model(lake, baseline_days=baseline_days, now=until)
    except ValueError as exc:
        notes.append(f"no model trained yet, exact rules only: {exc}")
        log.warning("no model trained: %s", exc)
        return None
