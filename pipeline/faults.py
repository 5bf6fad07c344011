"""Crash points for the reliability tests: `TRAILGUARD_CRASH_AT=<point>:<n>` kills the run there.

Production code calls `crash_point("name")` at the few places where a crash would be the most
damaging (between writing a file and renaming it, between the lake and the state table, ...).
Without the variable the call is a dictionary lookup and nothing else. With it, the n-th time
this process reaches that point the whole run is killed with SIGKILL, as the OOM killer or a
power cut would: no `finally`, no `atexit`, no flush. The test then reruns the same command and
checks the lake equals one written without a crash.

The run is the process that first imported this module with the variable set (its id is handed
to worker processes through `TRAILGUARD_CRASH_ROOT`). When that process leads its own process
group (tests start it with `start_new_session=True`) the whole group is killed, workers
included; otherwise only the run's process and the caller are, never anyone else's group.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import TypeVar

CRASH_AT = "TRAILGUARD_CRASH_AT"
CRASH_ROOT = "TRAILGUARD_CRASH_ROOT"
T = TypeVar("T")

_reached: Counter[str] = Counter()


def _target() -> tuple[str, int] | None:
    spec = os.environ.get(CRASH_AT)
    if not spec:
        return None
    point, _, count = spec.rpartition(":")
    if not point or not count.isdigit() or int(count) < 1:
        raise ValueError(f"{CRASH_AT} takes <point>:<n> with n >= 1, got {spec!r}")
    os.environ.setdefault(CRASH_ROOT, str(os.getpid()))  # inherited by spawned workers
    return point, int(count)


def crash_point(name: str) -> None:
    """Kill the run here if `TRAILGUARD_CRASH_AT` names this point and this is its n-th pass."""
    target = _target()
    if target is None or target[0] != name:
        return
    _reached[name] += 1
    if _reached[name] == target[1]:
        _kill_run()


def passing(name: str, items: Iterable[T]) -> Iterator[T]:
    """`items`, with `crash_point(name)` before each one (a crash point inside a loop)."""
    target = _target()
    if target is None or target[0] != name:  # the environment is read once, not per item
        yield from items
        return
    for item in items:
        crash_point(name)
        yield item


def _kill_run() -> None:
    root = int(os.environ.get(CRASH_ROOT, os.getpid()))
    try:
        if os.getpgid(root) == root:
            os.killpg(root, signal.SIGKILL)
        os.kill(root, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.kill(os.getpid(), signal.SIGKILL)
