"""The `ingest` flow: plan in the flow, read each account x region x day part as a mapped task,
write parts to the lake one at a time in key order (`pipeline.ingest.parts` does the work)."""

from __future__ import annotations

from collections import deque
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.runtime import task_run
from prefect.task_runners import TaskRunner

from trailguard.flows.params import (
    SETTINGS,
    DaskAddress,
    DaskWorkers,
    EndpointUrl,
    Lake,
    Source,
    TaskRunnerKind,
)
from trailguard.flows.retries import BACKOFF, JITTER, io_task
from trailguard.flows.runners import make_task_runner
from trailguard.pipeline.ingest.batch import BatchResult
from trailguard.pipeline.ingest.parts import (
    IngestPart,
    IngestPlan,
    PartSummary,
    finish_ingest,
    plan_ingest,
    read_part,
    write_part,
)
from trailguard.pipeline.ingest.summary import IngestSummary
from trailguard.pipeline.lake.lock import lake_lock

READ_RETRIES = 3
READ_AHEAD = 16  # parts read but not yet written, at most


class PartReadError(OSError):
    """Some objects of a part could not be read; the task is retried."""


@io_task
def plan(source: str, lake: Path, endpoint_url: str | None) -> IngestPlan:
    """List the source and group its new objects into parts."""
    return plan_ingest(source, lake, endpoint_url=endpoint_url)


@task(
    retries=READ_RETRIES,
    retry_delay_seconds=BACKOFF,
    retry_jitter_factor=JITTER,
    cache_policy=NO_CACHE,
    task_run_name="read {part.key}",
)
def read(source: str, part: IngestPart, started: datetime, endpoint_url: str | None) -> BatchResult:
    """Fetch and decode one part; a failed GET retries the part while retries remain."""
    result = read_part(source, part, started, endpoint_url=endpoint_url)
    if result.failed and task_run.run_count <= READ_RETRIES:
        uri, error = result.failed[0]
        raise PartReadError(f"{len(result.failed)} objects unreadable, e.g. {uri}: {error}")
    # Out of retries: keep what was read; the unreadable objects stay out of the state
    # table, so the next scheduled run reads them again (as `trailguard ingest` does).
    return result


@io_task
def write(lake: Path, part: str, result: BatchResult) -> PartSummary:
    """Add one part to the lake (holding the lake lock)."""
    return write_part(lake, part, result)


def ingest_parts(
    source: str, lake: Path, runner: TaskRunner[Any], endpoint_url: str | None = None
) -> IngestSummary:
    """Plan, map the reads on `runner`, write in plan order; call inside a flow."""
    logger = get_run_logger()
    # The whole run holds the lake, as `trailguard ingest` does: its rows share one ingested_at
    # (the features cursor), so features must not run between two of its parts. Reads run on
    # the workers meanwhile; writes are direct task calls, in this thread, which holds the lock.
    with lake_lock(lake, purpose="ingest flow"):
        the_plan = plan(source, lake, endpoint_url)
        logger.info(
            "%d objects to read in %d parts (%d already in the lake)",
            the_plan.objects,
            len(the_plan.parts),
            the_plan.skipped_objects,
        )
        written = write_in_order(lake, the_plan, runner, endpoint_url)
        summary = finish_ingest(lake, the_plan, written)
    logger.info(
        "ingested %d objects: %d records, %d written, %d duplicates, %d quarantined, %d failed",
        summary.objects,
        summary.records,
        summary.written,
        summary.duplicates,
        summary.quarantined,
        len(summary.failed),
    )
    return summary


def write_in_order(
    lake: Path, plan: IngestPlan, runner: TaskRunner[Any], endpoint_url: str | None
) -> list[PartSummary]:
    """Reads mapped on the runner, at most `READ_AHEAD` parts ahead of the writes.

    Parts are written here, in plan order, not on the workers: the lake may be local to this
    process, and a fixed order keeps the same copy of a re-delivered event as a whole-source
    ingest. The window bounds the rows held in memory during a long backfill.
    """
    parts = list(plan.parts)
    pending: deque[PrefectFuture[BatchResult]] = deque()
    written: list[PartSummary] = []
    for index, part in enumerate(parts):
        while len(pending) < READ_AHEAD and index + len(pending) < len(parts):
            ahead = parts[index + len(pending)]
            pending.append(runner.submit(read, _read_params(plan, ahead, endpoint_url)))
        written.append(write(lake, part.key, pending.popleft().result()))
    return written


def _read_params(plan: IngestPlan, part: IngestPart, endpoint_url: str | None) -> dict[str, Any]:
    return {
        "source": plan.source,
        "part": part,
        "started": plan.started,
        "endpoint_url": endpoint_url,
    }


@flow(name="ingest")
def ingest(
    source: Source,
    lake: Lake = SETTINGS.lake,
    endpoint_url: EndpointUrl = None,
    task_runner: TaskRunnerKind = "thread",
    dask_address: DaskAddress = None,
    dask_workers: DaskWorkers = None,
) -> IngestSummary:
    """New CloudTrail objects of `source` into `lake`: a mapped task per account x region x day."""
    with make_task_runner(task_runner, dask_address, dask_workers) as runner:
        return ingest_parts(source, lake, runner, endpoint_url)
