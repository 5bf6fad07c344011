"""`trailguard` with smaller batches, flushes and compaction threshold, for the crash tests.

Usage: python launch.py <batch objects> <flush bytes> <compact min files> <trailguard args...>

A crash test needs a small corpus to cross every boundary of a run (several worker batches,
several flushes of rows and state, a compaction); shrinking the thresholds in the child process
does that without a large corpus or any test-only switch in the product.

`TRAILGUARD_CRASH_CALL=<function>:<n>` kills the run when a function (or method) of `pipeline`
named so, or `os.<name>` (`os.replace`), is entered for the n-th time: crash points in stages
that have no `faults.crash_point` of their own (detection, export), placed by wrapping the
function where the modules look it up, with no edit to their code.
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

CRASH_CALL = "TRAILGUARD_CRASH_CALL"


STAGE_MODULES = (
    "trailguard.pipeline.cli.main",
    "trailguard.pipeline.detect.detect",
    "trailguard.pipeline.export.deliver",
    "trailguard.pipeline.export.ndjson",
)


def crash_on_call(spec: str) -> int:
    """Wrap every `pipeline` function or method named as in `spec`; returns how many were found."""
    import importlib

    from trailguard.pipeline import faults

    name, _, count = spec.rpartition(":")
    os.environ.setdefault(faults.CRASH_ROOT, str(os.getpid()))
    for stage in STAGE_MODULES:
        importlib.import_module(stage)
    calls = {"n": 0}

    def wrap(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        def crashing(*args: Any, **kwargs: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == int(count):
                faults._kill_run()
            return function(*args, **kwargs)

        return crashing

    if name.startswith("os."):  # a system call the code makes through `os` (os.replace, ...)
        setattr(os, name[3:], wrap(getattr(os, name[3:])))
        return 1
    wrapped = 0
    for module_name, module in list(sys.modules.items()):
        if not module_name.startswith("trailguard.pipeline"):
            continue
        for owner in [module, *_classes_of(module)]:
            for attr, value in list(vars(owner).items()):
                if attr == name and inspect.isfunction(value) and _ours(value):
                    setattr(owner, attr, wrap(value))
                    wrapped += 1
    if not wrapped:
        raise SystemExit(f"{CRASH_CALL}: no pipeline function named {name!r}")
    return wrapped


def _classes_of(module: ModuleType) -> list[type]:
    return [v for v in vars(module).values() if inspect.isclass(v) and _ours(v)]


def _ours(value: Any) -> bool:
    return str(getattr(value, "__module__", "")).startswith("trailguard.pipeline")


def main() -> int:
    import trailguard.pipeline.ingest.workers
    import trailguard.pipeline.ingest.writer
    import trailguard.pipeline.lake.compact
    from trailguard.pipeline.cli.main import main as run_cli

    batch_objects, flush_bytes, compact_min, *args = sys.argv[1:]
    for module, name, value in (
        (trailguard.pipeline.ingest.workers, "BATCH_OBJECTS", batch_objects),
        (trailguard.pipeline.ingest.writer, "FLUSH_BYTES", flush_bytes),
        (trailguard.pipeline.lake.compact, "COMPACT_MIN_FILES", compact_min),
    ):
        if not hasattr(module, name):  # renamed: fail loudly rather than test a large run
            raise SystemExit(f"launch.py: {module.__name__}.{name} no longer exists")
        setattr(module, name, int(value))
    if os.environ.get(CRASH_CALL):
        crash_on_call(os.environ[CRASH_CALL])
    return run_cli(args)


if __name__ == "__main__":  # spawned workers import this file as __mp_main__: no side effects
    raise SystemExit(main())
