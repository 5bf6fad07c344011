"""Reading a run's objects in batches across worker processes, results back in listing order.

Where the workers come from (`_worker_context`: a fork of the CLI, else a fork server), how
they start and end (`_start_worker`: with their parent, holding nothing of it), and what each
does with a batch (`read_batch`, then `BatchResult.encode`: decode, normalize, encode the
Parquet). A run with one batch, or `--workers 1`, reads in its own process.

A batch stops taking objects once their decompressed text passes the object limit
(`ReadLimits.object_bytes`), so that what a worker holds stays bounded whatever the objects
inflate to; the objects it leaves are read next, as a batch of their own, before any later
result is given (results stay in listing order).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import datetime
from functools import cache, partial
from itertools import chain, islice
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext

from trailguard.pipeline.ingest.batch import BatchResult, Source, read_batch
from trailguard.pipeline.ingest.limits import DEFAULT_LIMITS, ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.ingest.sources.open import open_source

BATCH_BYTES = 8 << 20  # compressed bytes of objects per worker task
BATCH_OBJECTS = 1024
# The end of a long listing goes in batches this many times smaller, so that the workers finish
# together: a whole batch left to one worker at the end keeps the other cores idle meanwhile.
TAIL_SPLIT = 4
_PR_SET_PDEATHSIG = 1  # prctl(2): the signal a process gets when its parent dies


def read_all(
    source: str,
    endpoint_url: str | None,
    refs: Iterable[ObjectRef],
    started: datetime,
    workers: int | None,
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[BatchResult]:
    """Batch results in listing order; worker processes when there is enough work for them.

    The listing runs a few batches ahead of the reading (`2 * workers` with workers).
    """
    batches = _batches(refs)
    ahead = deque(islice(batches, 2))
    workers = workers or os.cpu_count() or 1
    read = partial(_read_in_worker, source, endpoint_url, started=started, limits=limits)
    if workers <= 1 or len(ahead) <= 1:
        for batch in batches:
            ahead.append(batch)
            yield from _with_deferred(read(ahead.popleft()), read)
        for batch in ahead:
            yield from _with_deferred(read(batch), read)
        return
    context = _worker_context()
    parent = os.getpid() if context.get_start_method() == "fork" else None
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(dict(os.environ), parent),
    ) as pool:
        pending: deque[Future[BatchResult]] = deque()

        def in_pool(batch: list[ObjectRef]) -> BatchResult:
            return pool.submit(read, batch).result()

        for batch in chain(ahead, batches):
            pending.append(pool.submit(read, batch))
            if len(pending) >= 2 * workers:  # bounded: memory does not grow with the run
                yield from _with_deferred(pending.popleft().result(), in_pool)
        while pending:
            yield from _with_deferred(pending.popleft().result(), in_pool)


def _with_deferred(
    result: BatchResult, read: Callable[[list[ObjectRef]], BatchResult]
) -> Iterator[BatchResult]:
    """`result`, then the results of the objects it left to another batch (its text budget was
    spent), in order. Each batch reads at least one object, so this ends."""
    yield result
    while result.deferred:
        result = read(result.deferred)
        yield result


def _worker_context() -> BaseContext:
    """Where worker processes come from: on Linux, a fork of this process when it runs no
    other Python thread (the CLI: workers start at once, with everything imported); else forks
    of a server process that imported this module once (Prefect and boto3 run threads, and a
    fork copies whatever lock another thread holds). Either way no worker spends half a second
    on imports as a spawned one would."""
    methods = get_all_start_methods()
    if sys.platform == "linux" and "fork" in methods and threading.active_count() == 1:
        return get_context("fork")
    if "forkserver" not in methods:
        return get_context("spawn")
    context = get_context("forkserver")
    # A worker still runs the caller's main module again, as a spawned one would (a script's is
    # preloaded too; `python -m pipeline.cli.main` adds little once this module is loaded).
    context.set_forkserver_preload(["__main__", __name__])
    return context


def _start_worker(environment: dict[str, str], parent: int | None) -> None:
    """A worker's set-up: end with `parent` when forked from it, and take the caller's
    environment as it is now (AWS settings, crash points: a fork server keeps the one it started
    with, possibly in an earlier run of this process).

    A fork of the caller inherits the write end of its own task queue, so it would wait on that
    queue forever once the caller is killed (the OOM killer takes one process, not its group):
    Linux ends it with its parent instead. Fork-server workers end with their server, which
    ends with the caller.
    """
    if parent is not None:  # forked: Linux only (`_worker_context`)
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)
        _worker_source.cache_clear()  # an S3 client of an earlier run: its sockets are shared
    os.environ.clear()
    os.environ.update(environment)


def _batches(refs: Iterable[ObjectRef]) -> Iterator[list[ObjectRef]]:
    """`refs` in order, in batches of `BATCH_OBJECTS` objects or `BATCH_BYTES` bytes.

    Half a batch more than the next one is held back, so that when the listing ends, what is
    left (half a batch to one and a half) goes in batches `TAIL_SPLIT` times smaller. A listing
    shorter than that is one batch, read in the caller's process (`read_all`).
    """
    held: deque[ObjectRef] = deque()
    held_bytes = 0
    full = 0  # batches yielded whole
    for ref in refs:
        held.append(ref)
        held_bytes += ref.size
        if len(held) >= BATCH_OBJECTS * 3 // 2 or held_bytes >= BATCH_BYTES * 3 // 2:
            batch = _take(held, BATCH_OBJECTS, BATCH_BYTES)
            held_bytes -= sum(ref.size for ref in batch)
            full += 1
            yield batch
    split = TAIL_SPLIT if full else 1
    while held:
        yield _take(held, max(1, BATCH_OBJECTS // split), max(1, BATCH_BYTES // split))


def _take(held: deque[ObjectRef], objects: int, size: int) -> list[ObjectRef]:
    """The first refs of `held`, up to `objects` of them or the one that reaches `size` bytes."""
    batch: list[ObjectRef] = []
    taken = 0
    while held and len(batch) < objects and taken < size:
        batch.append(held.popleft())
        taken += batch[-1].size
    return batch


def _read_in_worker(
    source: str,
    endpoint_url: str | None,
    refs: list[ObjectRef],
    *,
    started: datetime,
    limits: ReadLimits,
) -> BatchResult:
    src = _worker_source(source, endpoint_url, limits.object_bytes)
    return read_batch(src, refs, started, limits, budget=limits.object_bytes).encode()


@cache
def _worker_source(source: str, endpoint_url: str | None, max_bytes: int) -> Source:
    """One source (and S3 client) per worker process."""
    return open_source(source, endpoint_url, max_bytes=max_bytes)
