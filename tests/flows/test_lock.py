"""The lake lock: one writer across processes and threads, re-entrant, never stale."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from trailguard.pipeline.lake.lock import LakeLocked, holds_lake_lock, lake_lock

_HOLD = """
import sys, time
from trailguard.pipeline.lake.lock import lake_lock
with lake_lock(sys.argv[1], purpose="test holder"):
    print("held", flush=True)
    time.sleep(60)
"""


_PROBE = """
import sys
from trailguard.pipeline.lake.lock import LakeLocked, lake_lock
try:
    with lake_lock(sys.argv[1], timeout=0.2):
        sys.exit(0)
except LakeLocked:
    sys.exit(3)
"""


def _holder(lake: Path) -> subprocess.Popen[str]:
    """Another process holding the lake's lock (until killed)."""
    process = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(lake)], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_second_process_waits_then_fails_with_a_message_naming_the_holder(
    tmp_path: Path,
) -> None:
    holder = _holder(tmp_path)
    try:
        started = time.monotonic()
        with pytest.raises(LakeLocked) as failure, lake_lock(tmp_path, timeout=0.5):
            pass
        assert time.monotonic() - started >= 0.5
        assert f"pid {holder.pid} (test holder)" in str(failure.value)
        assert "TRAILGUARD_LOCK_TIMEOUT" in str(failure.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = _holder(tmp_path)
    holder.send_signal(signal.SIGKILL)
    holder.wait()

    with lake_lock(tmp_path, timeout=2):
        pass


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    outcome: list[str] = []

    def other_thread() -> None:
        try:
            with lake_lock(tmp_path, timeout=0.3):
                outcome.append("acquired")
        except LakeLocked:
            outcome.append("refused")

    with lake_lock(tmp_path, timeout=1), lake_lock(tmp_path, timeout=1):
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert outcome == ["refused"]

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert outcome == ["refused", "acquired"]


def _probe(lake: Path) -> int:
    """Exit status of another process trying the lock briefly: 0 free, 3 held."""
    return subprocess.run([sys.executable, "-c", _PROBE, str(lake)], check=False).returncode


def test_a_decorated_writer_holds_the_lock_of_its_lake_while_it_runs(tmp_path: Path) -> None:
    @holds_lake_lock
    def write(rows: int, lake: Path) -> int:
        return _probe(lake)

    assert write(3, lake=tmp_path) == 3
    assert _probe(tmp_path) == 0


def test_decorating_a_function_without_a_lake_is_an_error() -> None:
    def not_a_writer(path: Path) -> None: ...

    with pytest.raises(TypeError, match="no `lake` parameter"):
        holds_lake_lock(not_a_writer)
