"""The OOM killer takes one process, not its group: a killed ingest leaves nothing running.

`trailguard ingest` reads through worker processes (forked from it when it runs alone). When the
ingest process alone is SIGKILLed, its workers must end too, and the lake's lock must be free for
the next run at once: a worker that outlived it would hold both forever.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from trailguard.pipeline.lake.lock import lake_lock
from trailguard.pipeline.synth.generate import generate_organisation

pytestmark = pytest.mark.slow


def children(pid: int) -> set[int]:
    """The process's child processes (Linux /proc)."""
    found: set[int] = set()
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def alive(pid: int) -> bool:
    """True while `pid` runs (a zombie, dead but not yet reaped, counts as ended)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_killing_the_ingest_process_alone_ends_its_workers_and_frees_the_lake(
    tmp_path: Path,
) -> None:
    tree, lake = tmp_path / "trail", tmp_path / "lake"
    generate_organisation(str(tree), days=4, accounts=3, principals=30, seed=3, attacks=[])
    command = [
        sys.executable,
        "-m",
        "trailguard.pipeline.cli.main",
        "ingest",
        "--source",
        str(tree),
    ]
    run = subprocess.Popen(
        [*command, "--lake", str(lake), "--workers", "2"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own group, so that the test can clean up whatever is left
    )
    try:
        deadline = time.monotonic() + 60
        while len(workers := children(run.pid)) < 2:
            assert run.poll() is None, "the run ended before its workers were seen"
            assert time.monotonic() < deadline, "no worker processes started"
            time.sleep(0.01)

        run.send_signal(signal.SIGKILL)  # the ingest process only, not its group
        run.wait()

        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(w) for w in workers), "a worker outlived the killed ingest"
        with lake_lock(lake, timeout=2):  # the next run gets the lake at once
            pass
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
