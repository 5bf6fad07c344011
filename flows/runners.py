"""The task runner a flow maps its partitioned work on: threads, or Dask (local or remote)."""

from __future__ import annotations

import os
from typing import Any

from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner


def make_task_runner(
    kind: str = "thread", dask_address: str | None = None, dask_workers: int | None = None
) -> TaskRunner[Any]:
    """A new, unstarted task runner; enter it (`with`) to start it, and its cluster if local."""
    if kind == "thread":
        return ThreadPoolTaskRunner(max_workers=dask_workers or os.cpu_count() or 1)
    if kind != "dask":
        raise ValueError(f"unknown task runner {kind!r}: use 'thread' or 'dask'")
    from prefect_dask.task_runners import (
        DaskTaskRunner,
    )  # imports dask.distributed: only when asked for

    if dask_address:
        return DaskTaskRunner(address=dask_address)
    # A local cluster of one-thread workers: reads are GIL-bound decoding, so processes scale.
    workers = dask_workers or os.cpu_count() or 1
    kwargs = {"n_workers": workers, "threads_per_worker": 1, "dashboard_address": None}
    return DaskTaskRunner(cluster_kwargs=kwargs)
