"""SIGKILL at any point of an ingest run, then rerun: the lake is the one an unbroken run makes.

Each case kills `trailguard ingest` (and its worker processes) at a named crash point
(`pipeline/faults.py`): while listing, mid-download, with a Parquet file written but not yet
renamed, with files renamed but the state not committed, halfway through a compaction. The rerun
must leave the same rows, the same object state and the same quarantine as a run that was never
interrupted: no duplicate and no missing eventID, no temporary file left behind.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.reliability.harness import (
    Corpus,
    Snapshot,
    build_corpus,
    leftovers,
    run_trailguard,
    snapshot,
)

pytestmark = pytest.mark.slow

# (point, n): the n-th time the run reaches the point. Every one must actually fire. The suite
# runs one or two passes of each point; bench/reliability.py runs the wider matrix.
CRASH_POINTS = [
    ("list", 25),  # most of the listing done, nothing read
    ("fetch", 4),  # mid-download, in worker processes (see WORKERS), other GETs in flight
    ("parquet_tmp", 7),  # a later flush, some partitions of it already renamed, one not
    ("parquet_done", 1),  # one file renamed into the lake, its objects not in the state
    ("state_update", 3),  # two flushes committed, the third's files in place, state not
    ("state_commit", 2),  # inside the state transaction: rows inserted, COMMIT not reached
    ("compact_journal", 1),  # compaction: merged file and journal written, not swapped in
    ("compact_swap", 1),  # compaction: merged file in place, old files not yet removed
]
# Worker processes cost seconds to spawn: one case runs with them, the others read in-process
# (the same code path per batch; only the fetch point differs between the two).
WORKERS = {("fetch", 4): "2"}


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return build_corpus()


@pytest.fixture(scope="module")
def source(corpus: Corpus, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return corpus.write(tmp_path_factory.mktemp("trail"))


@pytest.fixture(scope="module")
def unbroken(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """The lake of a run nobody interrupted: what every crashed-and-rerun lake must equal."""
    lake = tmp_path_factory.mktemp("unbroken") / "lake"
    outcome = run_trailguard(ingest_args(source, lake))
    assert outcome.returncode == 0, outcome.stderr
    return snapshot(lake)


def ingest_args(source: Path | str, lake: Path, *extra: str, workers: str = "1") -> list[str]:
    return ["ingest", "--source", str(source), "--lake", str(lake), "--workers", workers, *extra]


def test_the_unbroken_run_holds_every_valid_event_once(corpus: Corpus, unbroken: Snapshot) -> None:
    assert sorted(unbroken.event_ids) == sorted(corpus.ids)
    assert len(unbroken.quarantine) == corpus.quarantined_records
    assert len(unbroken.state) == len(corpus.objects)


@pytest.mark.parametrize(("point", "n"), CRASH_POINTS, ids=[f"{p}-{n}" for p, n in CRASH_POINTS])
def test_a_run_killed_at_a_crash_point_and_rerun_equals_the_unbroken_run(
    point: str, n: int, source: Path, unbroken: Snapshot, corpus: Corpus, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    args = ingest_args(source, lake, workers=WORKERS.get((point, n), "1"))

    crashed = run_trailguard(args, crash_at=f"{point}:{n}")
    assert crashed.killed, f"crash point {point}:{n} was never reached: {crashed.stderr[-500:]}"
    assert processes_using(lake) == []  # the workers died with the run
    rerun = run_trailguard(args)

    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert_same_lake(snapshot(lake), unbroken, corpus)
    assert leftovers(lake) == []


def test_crashes_during_recovery_runs_still_converge(
    source: Path, unbroken: Snapshot, corpus: Corpus, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    for point in ("fetch:2", "parquet_done:3", "state_update:2", "compact_journal:1"):
        assert run_trailguard(ingest_args(source, lake), crash_at=point).killed, point

    assert run_trailguard(ingest_args(source, lake)).returncode == 0
    assert_same_lake(snapshot(lake), unbroken, corpus)


def processes_using(lake: Path) -> list[str]:
    found = subprocess.run(["pgrep", "-f", str(lake)], capture_output=True, text=True, check=False)
    return found.stdout.split()


def assert_same_lake(got: Snapshot, want: Snapshot, corpus: Corpus) -> None:
    """Equal rows, state and quarantine; every valid eventID once (said plainly on failure)."""
    repeated = [i for i, c in Counter(got.event_ids).items() if c > 1]
    missing = corpus.ids - set(got.event_ids)
    assert (repeated, sorted(missing)) == ([], [])
    assert got.events == want.events
    assert got.state == want.state
    assert got.quarantine == want.quarantine


@pytest.fixture
def s3_corpus(s3_bucket: tuple[Any, str], corpus: Corpus) -> Iterator[str]:
    client, bucket = s3_bucket
    corpus.upload(client, bucket)
    yield f"s3://{bucket}"


@pytest.mark.parametrize("crash_at", ["fetch:4"])
def test_an_s3_ingest_killed_and_rerun_keeps_every_event_once(
    crash_at: str, s3_corpus: str, s3_server: str, corpus: Corpus, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    args = ingest_args(s3_corpus, lake, "--endpoint-url", s3_server)

    assert run_trailguard(args, crash_at=crash_at).killed
    assert run_trailguard(args).returncode == 0

    got = snapshot(lake)
    assert sorted(got.event_ids) == sorted(corpus.ids)
    assert len(got.quarantine) == corpus.quarantined_records
    assert leftovers(lake) == []


def test_an_s3_ingest_read_by_forked_workers_keeps_every_event_once(
    s3_corpus: str, s3_server: str, corpus: Corpus, tmp_path: Path
) -> None:
    # `trailguard` alone in its process forks its workers: each must open its own S3 client.
    lake = tmp_path / "lake"
    args = ingest_args(s3_corpus, lake, "--endpoint-url", s3_server, workers="2")

    outcome = run_trailguard(args)

    assert outcome.returncode == 0, outcome.stderr[-2000:]
    got = snapshot(lake)
    assert sorted(got.event_ids) == sorted(corpus.ids)
    assert len(got.quarantine) == corpus.quarantined_records
