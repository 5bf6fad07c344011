"""When a task is retried: transient I/O failures only, with exponential backoff and jitter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

from trailguard.pipeline.lake.db import DatabaseBusy
from trailguard.pipeline.lake.lock import LakeLocked

P = ParamSpec("P")
R = TypeVar("R")
RETRIES = 3
BACKOFF = exponential_backoff(backoff_factor=2)  # 2, 4, 8 s (then jittered)
JITTER = 0.5
# S3 answers worth retrying: throttling and server errors (a 403 or 404 will not heal).
_RETRYABLE_S3 = {"SlowDown", "Throttling", "RequestTimeout", "InternalError", "ServiceUnavailable"}


def is_transient(error: BaseException | None) -> bool:
    """True for failures a retry can fix: a busy database or lake, a dropped connection, S3 5xx."""
    if isinstance(error, DatabaseBusy | LakeLocked | ConnectionError | TimeoutError):
        return True
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code")) in _RETRYABLE_S3
    return isinstance(error, BotoCoreError) or bool(getattr(error, "retryable", False))


def retry_transient(task: Any, task_run: Any, state: Any) -> bool:
    """`retry_condition_fn` for tasks: retry only what `is_transient` says can heal."""
    error = state.data  # a failed task run's state carries the exception it raised
    return is_transient(error if isinstance(error, BaseException) else None)


def io_task(fn: Callable[P, R]) -> Task[P, R]:
    """A task doing lake or network I/O: retried on transient failures, never cached."""
    decorate = task(
        retries=RETRIES,
        retry_delay_seconds=BACKOFF,
        retry_jitter_factor=JITTER,
        retry_condition_fn=retry_transient,
        cache_policy=NO_CACHE,
    )
    return decorate(fn)
