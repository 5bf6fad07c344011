"""The `train` flow: fit the anomaly model on a trailing baseline of feature windows."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import flow, get_run_logger

from trailguard.flows.params import SETTINGS, BaselineDays, Lake
from trailguard.flows.retries import io_task
from trailguard.pipeline.detect.detect import ModelInfo, train_model


@io_task
def fit_model(lake: Path, baseline_days: int, now: datetime | None) -> ModelInfo:
    """Fit and save the isolation forest (holding the lake lock)."""
    return train_model(lake, baseline_days=baseline_days, now=now)


@flow(name="train")
def train(
    lake: Lake = SETTINGS.lake,
    baseline_days: BaselineDays = SETTINGS.baseline_days,
    now: datetime | None = None,
) -> ModelInfo:
    """Train on the `baseline_days` before `now` (default: the newest feature window)."""
    info = fit_model(lake, baseline_days, now)
    get_run_logger().info(
        "model %s: %d windows of %d principals, %s .. %s, threshold %.4f",
        info.version,
        info.rows,
        info.principals,
        info.training_start,
        info.training_end,
        info.threshold,
    )
    return info
