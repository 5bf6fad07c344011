"""The task runner a flow maps its partitioned work on: threads, or Dask (local or remote)."""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from typing import Any, TypeVar

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import TaskRunner, ThreadPoolTaskRunner

from trailguard.pipeline.lake.shards import Each

R = TypeVar("R")


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
    return DaskTaskRunner(cluster_kwargs=local_cluster(dask_workers))


def local_cluster(workers: int | None) -> dict[str, Any]:
    """A local cluster of one-thread workers: reads are GIL-bound decoding, so processes scale."""
    count = workers or os.cpu_count() or 1
    return {"n_workers": count, "threads_per_worker": 1, "dashboard_address": None}


@contextmanager
def shared_cluster(
    kind: str, dask_address: str | None, dask_workers: int | None
) -> Iterator[str | None]:
    """The Dask scheduler the stages of one flow run share: `dask_address`, or a local cluster
    started once for the run (each stage starting its own would cost ~20 s each)."""
    if kind != "dask" or dask_address:
        yield dask_address
        return
    from distributed import LocalCluster

    with LocalCluster(**local_cluster(dask_workers)) as cluster:  # type: ignore[no-untyped-call]
        yield str(cluster.scheduler_address)


def default_shards(shards: int | None, runner: TaskRunner[Any]) -> int:
    """`shards`, else one per Dask worker (a shard is one task), else 1: in threads, one DuckDB
    query per stage already uses every core."""
    if shards is not None:
        return shards
    client = getattr(runner, "client", None)  # a started DaskTaskRunner's
    return max(1, len(client.nthreads())) if client is not None else 1


def on_runner(runner: TaskRunner[Any]) -> Each:
    """An `Each` that runs every call as a task on `runner`, and waits for all of them."""

    def each(fn: Callable[..., R], calls: Sequence[tuple[Any, ...]]) -> list[R]:
        names = list(inspect.signature(fn).parameters)
        mapped = _as_task(fn)
        futures = [runner.submit(mapped, dict(zip(names, call, strict=False))) for call in calls]
        return [future.result() for future in futures]

    return each


@cache
def _as_task(fn: Callable[..., Any]) -> Task[..., Any]:
    """A shard function as a Prefect task, named after it. Not retried: it only computes (a
    failed read of the lake's files would fail again), and the flow fails with it."""
    return task(name=fn.__name__, cache_policy=NO_CACHE)(fn)
