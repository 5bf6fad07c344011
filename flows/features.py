"""The `build_features` flow: hourly per-principal features for the hours with new events."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger

from flows.params import Lake
from flows.retries import io_task
from pipeline.features import FeatureStats
from pipeline.features import build_features as build


@io_task
def compute_features(lake: Path, full: bool) -> FeatureStats:
    """Run the feature families over the lake (holding the lake lock)."""
    return build(lake, full=full)


@flow(name="build_features")
def build_features(lake: Lake = Path("lake"), full: bool = False) -> FeatureStats:
    """Features for the hours with new events (every hour when `full`)."""
    stats = compute_features(lake, full)
    span = f"{stats.window_start} .. {stats.window_end}" if stats.window_start else "nothing new"
    get_run_logger().info(
        "%d feature windows of %d principals, hours %s, %d new addresses (%.1fs)",
        stats.windows,
        stats.principals,
        span,
        stats.new_ips,
        stats.seconds,
    )
    return stats
