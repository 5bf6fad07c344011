"""Two runs of a flow on one lake at the same time leave it as one run would."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipeline.lock import lake_lock
from tests.flows.lake_contents import duplicate_event_ids, ingest_runs, lake_rows, state_rows

pytestmark = pytest.mark.prefect

# Import everything first, then wait for the start signal, so both runs begin together.
_RUN = """
import sys, time
from pathlib import Path
from flows.ingest import ingest
go = Path(sys.argv[3])
Path(sys.argv[4]).touch()
while not go.exists():
    time.sleep(0.02)
ingest(source=sys.argv[1], lake=Path(sys.argv[2]))
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
    # Hold the lake while both start, so both are under way (planning, waiting for the lock)
    # before either can finish: the runs overlap for certain, then interleave their writes.
    with lake_lock(lake):
        _wait_for(readies, runs)
        go.touch()
        time.sleep(3)
    errors = [run.communicate(timeout=240)[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], "\n".join(e[-2000:] for e in errors)

    (_, first_end), (second_start, _) = ingest_runs(lake)
    assert second_start < first_end, "the two runs did not overlap: the test proves nothing"
    assert duplicate_event_ids(lake) == 0
    assert lake_rows(lake) == lake_rows(plain_lake)
    assert state_rows(lake) == state_rows(plain_lake)
