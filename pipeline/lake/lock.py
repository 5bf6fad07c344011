"""One writer at a time per lake: an inter-process file lock (fcntl), re-entrant in a process.

Writers (ingest, features, detection, export) change Parquet files and the DuckDB state
together; two overlapping runs (a scheduled run still going when the next starts, or a CLI run
beside a served flow) would each deduplicate against files the other is still writing. The lock
is `<lake>/.trailguard.lock`, taken with `flock`: the kernel releases it when its holder dies,
so a crashed run never leaves a stale lock (a forked child keeps no copy of it). Within one
process it is re-entrant for the thread that holds it (a flow that holds it can call a writer
that takes it again) and exclusive between threads (tasks run in threads).
"""

from __future__ import annotations

import fcntl
import functools
import inspect
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ParamSpec, TypeVar

from trailguard.pipeline.config import settings
from trailguard.pipeline.retry import Backoff, log_first, retrying

log = logging.getLogger(__name__)

LOCK_NAME = ".trailguard.lock"
P = ParamSpec("P")
R = TypeVar("R")


class LakeLocked(TimeoutError):
    """Another process held the lake's lock for longer than the timeout."""


@dataclass
class _Held:
    """The process's hold on one lake's lock: the thread lock, the file and the depth."""

    thread_lock: threading.RLock = field(default_factory=threading.RLock)
    fd: int | None = None
    depth: int = 0


_HELD: dict[Path, _Held] = {}
_HELD_GUARD = threading.Lock()


def _forget_in_child() -> None:
    """A forked child (an ingest worker) does not hold its parent's locks: it closes its copies
    of their files, never unlocking them (that would end the parent's hold), so the kernel frees
    a lock as soon as its holder dies, whatever children it left."""
    for held in _HELD.values():
        if held.fd is not None:
            os.close(held.fd)
    _HELD.clear()


os.register_at_fork(after_in_child=_forget_in_child)


def lock_path(lake: str | Path, scope: str = "lake") -> Path:
    """Where a lake's lock file for `scope` is ("lake": its data; others: e.g. "export")."""
    return Path(lake) / (LOCK_NAME if scope == "lake" else f".trailguard-{scope}.lock")


@contextmanager
def lake_lock(
    lake: str | Path,
    *,
    timeout: float | None = None,
    purpose: str = "write",
    scope: str = "lake",
) -> Iterator[None]:
    """Hold the lake's lock for `scope`; wait up to `timeout` seconds (default: the
    `lock_timeout` setting), then raise `LakeLocked`."""
    timeout = settings().lock_timeout if timeout is None else timeout
    path = lock_path(lake, scope).absolute()
    with _HELD_GUARD:
        held = _HELD.setdefault(path, _Held())
    deadline = time.monotonic() + timeout
    if not held.thread_lock.acquire(timeout=max(timeout, 0.0)):
        raise LakeLocked(_busy_message(path, timeout, purpose))
    try:
        if held.depth == 0:
            held.fd = _acquire_file(path, deadline, timeout, purpose)
        held.depth += 1
        try:
            yield
        finally:
            held.depth -= 1
            if held.depth == 0 and held.fd is not None:
                fcntl.flock(held.fd, fcntl.LOCK_UN)
                os.close(held.fd)
                held.fd = None
    finally:
        held.thread_lock.release()


def _acquire_file(path: Path, deadline: float, timeout: float, purpose: str) -> int:
    """Open the lock file and flock it, polling with backoff (from 0.05 s, doubling to 1 s)
    until the deadline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    policy = retrying(
        transient=BlockingIOError,  # flock's LOCK_NB answer: another process holds it
        backoff=Backoff(first=0.05, cap=1.0),
        deadline=deadline,
        on_retry=log_first(log, "waiting for %s: another trailguard run is writing the lake", path),
    )
    try:
        policy(fcntl.flock, fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise LakeLocked(_busy_message(path, timeout, purpose)) from None
    _note_holder(fd, purpose)
    return fd


def _note_holder(fd: int, purpose: str) -> None:
    """Write who holds the lock into the file, for the message of whoever waits."""
    note = (
        f"pid {os.getpid()} ({purpose}) since {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}"
    )
    os.ftruncate(fd, 0)
    os.pwrite(fd, note.encode(), 0)


def _busy_message(path: Path, timeout: float, purpose: str) -> str:
    try:
        holder = path.read_text().strip() or "another process"
    except OSError:
        holder = "another process"
    return (
        f"cannot {purpose}: the lake is being written by {holder} (lock {path}) and stayed "
        f"locked for more than {timeout:.0f}s; wait for that run to finish, or raise "
        "TRAILGUARD_LOCK_TIMEOUT"
    )


def lock_decorator(scope: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """A decorator for functions with a `lake` argument: they run holding its `scope` lock."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        signature = inspect.signature(fn)
        if "lake" not in signature.parameters:
            raise TypeError(f"{fn.__qualname__} has no `lake` parameter to lock")

        @functools.wraps(fn)
        def locked(*args: P.args, **kwargs: P.kwargs) -> R:
            lake = signature.bind_partial(*args, **kwargs).arguments["lake"]
            with lake_lock(lake, purpose=fn.__qualname__, scope=scope):
                return fn(*args, **kwargs)

        return locked

    return decorate


# Stages that read or write the events, features, model and findings: ingest (whose compaction
# deletes files a concurrent reader could be scanning), features, train, detect.
holds_lake_lock = lock_decorator("lake")
# Export only reads findings and moves its own cursor: it must not overlap another export (the
# same batch would be sent twice), but need not wait for an ingest, nor hold one up while a SIEM
# is slow to answer.
holds_export_lock = lock_decorator("export")
# The database backup (recover.write_backup): its writers take turns, whichever locks they hold,
# so two never write its temporary file at once, and the last copy renamed is the newest read.
holds_backup_lock = lock_decorator("backup")
