"""Two runs of a flow on one lake at the same time leave it as one run would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.flows.lake_contents import duplicate_event_ids, ingest_runs, lake_rows, state_rows
from trailguard.pipeline.lake.lock import lake_lock

pytestmark = pytest.mark.prefect

# Import everything first, then wait for the start signal, so both runs begin together.
_RUN = """
import sys, time
from pathlib import Path
from trailguard.flows.ingest import ingest
go = Path(sys.argv[3])
Path(sys.argv[4]).touch()
while not go.exists():
    time.sleep(0.02)
started = time.time()
ingest(source=sys.argv[1], lake=Path(sys.argv[2]))
Path(sys.argv[4]).write_text(f"{started} {time.time()}")
"""


def _wait_for(files: list[Path], runs: list[subprocess.Popen[str]]) -> None:
    """Until every run has imported its flow (and signalled it), or one has died."""
    deadline = time.monotonic() + 120
    while not all(f.exists() for f in files):
        assert all(run.poll() is None for run in runs), "a run exited before starting"
        assert time.monotonic() < deadline, "the runs did not start within 120 s"
        time.sleep(0.05)


def test_two_overlapping_ingest_flow_runs_do_not_corrupt_the_lake_or_the_state(
    prefect_api: str, small_org: Path, plain_lake: Path, tmp_path: Path
) -> None:
    lake, go = tmp_path / "lake", tmp_path / "go"
    readies = [tmp_path / "ready-1", tmp_path / "ready-2"]
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _RUN, str(small_org), str(lake), str(go), str(ready)],
            env=os.environ.copy(),
            stderr=subprocess.PIPE,
            text=True,
        )
        for ready in readies
    ]
    # Hold the lake while both start, so both flow runs are under way before either can
    # finish: they overlap for certain, and the lock decides which one writes first.
    with lake_lock(lake):
        _wait_for(readies, runs)
        go.touch()
        time.sleep(3)
    errors = [run.communicate(timeout=240)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(e[-2000:] for e in errors)

    (start_1, end_1), (start_2, end_2) = (map(float, r.read_text().split()) for r in readies)
    assert start_1 < end_2 and start_2 < end_1, "the runs did not overlap: the test proves nothing"
    assert len(ingest_runs(lake)) == 2
    assert duplicate_event_ids(lake) == 0
    assert lake_rows(lake) == lake_rows(plain_lake)
    assert state_rows(lake) == state_rows(plain_lake)
