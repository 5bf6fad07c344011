"""The `build_features` flow: hourly per-principal features for the hours with new events, a
shard of accounts per mapped task (`trailguard.pipeline.features.build` does the work)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pyarrow as pa
from prefect import flow, get_run_logger
from prefect.task_runners import TaskRunner

from trailguard.flows.params import SETTINGS, DaskAddress, DaskWorkers, Lake, Shards, TaskRunnerKind
from trailguard.flows.retries import io_task
from trailguard.flows.runners import default_shards, make_task_runner, on_runner
from trailguard.pipeline.features.build import (
    FeaturePlan,
    FeatureStats,
    compute_shards,
    nothing_new,
    plan_features,
    write_features,
)
from trailguard.pipeline.lake.lock import lake_lock


@io_task
def plan(lake: Path, full: bool, shards: int) -> FeaturePlan | None:
    """Decide the hours to recompute, look up new addresses, group the accounts in shards."""
    return plan_features(lake, full=full, shards=shards)


@io_task
def write(the_plan: FeaturePlan, tables: list[pa.Table]) -> FeatureStats:
    """Every shard's rows into the lake and the cursor moved, in one transaction."""
    return write_features(the_plan, tables)


def features_on(
    lake: Path, full: bool, shards: int | None, runner: TaskRunner[Any]
) -> FeatureStats:
    """Plan, map the shards on `runner`, write; call inside a flow.

    The run holds the lake from plan to write, as `trailguard features` does: a compaction must
    not remove files a shard is reading, and the rows must match the cursor the write moves. The
    shards only read Parquet files, on the workers; plan and write run here, in this thread.
    """
    started = time.monotonic()
    with lake_lock(lake, purpose="features flow"):
        the_plan = plan(lake, full, default_shards(shards, runner))
        if the_plan is None:
            return nothing_new(full, started)
        return write(the_plan, compute_shards(the_plan, on_runner(runner)))


@flow(name="build_features")
def build_features(
    lake: Lake = SETTINGS.lake,
    full: bool = False,
    shards: Shards = None,
    task_runner: TaskRunnerKind = "thread",
    dask_address: DaskAddress = None,
    dask_workers: DaskWorkers = None,
) -> FeatureStats:
    """Features for the hours with new events (every hour when `full`)."""
    with make_task_runner(task_runner, dask_address, dask_workers) as runner:
        stats = features_on(lake, full, shards, runner)
    span = f"{stats.window_start} .. {stats.window_end}" if stats.window_start else "nothing new"
    get_run_logger().info(
        "%d feature windows of %d principals, hours %s, %d new addresses, %d shards (%.1fs)",
        stats.windows,
        stats.principals,
        span,
        stats.new_ips,
        stats.shards,
        stats.seconds,
    )
    return stats
