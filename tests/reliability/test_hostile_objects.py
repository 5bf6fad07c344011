"""Hostile objects and sources, through the `trailguard` command, each run in its own process
capped at 3 GiB of address space (RLIMIT_AS, which the worker processes it forks inherit).

A tester's 10 MB gzip that inflates to 10 GiB, and a 1.5 MB gzip holding one 1.5 GiB JSON string,
once killed the worker that read them (and then the whole ingest, with nothing written, on every
rerun). Now each stops at the object limit: the run ends with exit code 0, the good object beside
the bomb is in the lake, the bomb is in the quarantine with its reason and marked read, and a
rerun reads nothing. The bombs are made on the fly (`bombs.py`); the limit, not the test, keeps
the inflating short. Objects that are one per batch (`launch.py 1 ...`) make `--workers 2` read
them in worker processes; `--workers 1` reads them in the command's own. The same holds for
objects in S3 (moto), where one listed past the limit is not even fetched.

Hostile sources get one line each, never a traceback or a hang: a FIFO as the source, a FIFO
inside it, files that are not logs, a source with nothing to ingest.
"""

from __future__ import annotations

import gzip
import os
import resource
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.factories import cloudtrail_event
from tests.reliability.bombs import long_string_bomb, whitespace_bomb
from tests.reliability.harness import LAUNCH, Outcome, snapshot
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.limits import ReadLimits

CAP = 3 << 30  # address space of each process of a run (the tester's container had 4 GiB)
DAY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/"
GOOD = [cloudtrail_event(eventTime=f"2026-10-05T{h:02d}:03:27Z") for h in range(3)]
BOMBS: dict[str, Callable[[], bytes]] = {
    "10 GiB of whitespace": lambda: whitespace_bomb(10 << 10, orjson.dumps(cloudtrail_event())),
    "one 1.5 GiB string": lambda: long_string_bomb(1536),
}

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="RLIMIT_AS, FIFOs")


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CAP, CAP))


def trailguard(*args: str, timeout: float = 120) -> Outcome:
    """`trailguard <args>` with one object per batch, capped at `CAP`; a hang fails the test."""
    command = [sys.executable, str(LAUNCH), "1", "100000", "2", *args]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=timeout, preexec_fn=_cap_memory
        )
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"trailguard {args} hung for {timeout}s") from exc
    return Outcome(done.returncode, done.stdout, done.stderr)


def trail_run(trail: Path, lake: Path, *more: str, timeout: float = 120) -> Outcome:
    """`trailguard ingest` of `trail` into `lake`."""
    return trailguard("ingest", "--source", str(trail), "--lake", str(lake), *more, timeout=timeout)


def put(root: Path, key: str, body: bytes) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def good_tree(root: Path) -> Path:
    put(root, DAY + "111122223333_CloudTrail_us-east-1_20261005T1405Z_a.json.gz", document(GOOD))
    return root


def document(records: list[dict[str, object]]) -> bytes:
    return gzip.compress(orjson.dumps({"Records": records}))


@pytest.mark.parametrize("workers", ["1", "2"])
@pytest.mark.parametrize("bomb", sorted(BOMBS))
def test_a_bomb_is_quarantined_unread_and_the_good_object_beside_it_written(
    tmp_path: Path, bomb: str, workers: str
) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    bomb_path = put(
        trail, DAY + "111122223333_CloudTrail_us-east-1_20261005T1410Z_b.json.gz", BOMBS[bomb]()
    )
    assert bomb_path.stat().st_size < 12 << 20

    run = trail_run(trail, lake, "--workers", workers)

    assert run.returncode == 0, run.stderr[-3000:]
    lake_now = snapshot(lake)
    assert sorted(lake_now.event_ids) == sorted(r["eventID"] for r in GOOD)
    [(source_key, _, index, reason)] = lake_now.quarantine
    assert (source_key, index) == (str(bomb_path), -1)
    assert "decompresses to more than 268,435,456 bytes" in reason
    assert len(lake_now.state) == 2  # both marked read: the bomb is not read again
    rerun = trail_run(trail, lake, "--workers", workers)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "objects read                 0   (already ingested: 2)" in rerun.stdout
    assert snapshot(lake) == lake_now


def test_a_bomb_is_read_again_once_it_changes(tmp_path: Path) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    path = put(trail, DAY + "b.json.gz", long_string_bomb(300))
    assert trail_run(trail, lake).returncode == 0
    path.write_bytes(document([cloudtrail_event(eventID="fixed")]))  # replaced: a new version

    assert trail_run(trail, lake).returncode == 0

    assert "fixed" in snapshot(lake).event_ids


def test_the_limits_are_options_of_the_command(tmp_path: Path) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    put(trail, DAY + "big.json", orjson.dumps({"Records": GOOD[:1]}) + b" " * (2 << 20))

    run = trail_run(trail, lake, "--max-object-bytes", "1M")

    assert run.returncode == 0
    [(_, _, _, reason)] = snapshot(lake).quarantine
    assert reason.startswith("object is more than 1,048,576 bytes, the limit")


def test_events_at_impossible_times_are_quarantined_and_later_stages_run(tmp_path: Path) -> None:
    # Hourly events for three days (enough feature windows to train), and one in year 1 and one
    # in year 9999: accepted, they made `features` and `train` fail on every later run.
    hours = [f"2026-10-0{1 + h // 24}T{h % 24:02d}:03:27Z" for h in range(72)]
    records = [cloudtrail_event(eventTime=t) for t in hours]
    records += [
        cloudtrail_event(eventTime=t) for t in ("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z")
    ]
    trail, lake = tmp_path / "trail", tmp_path / "lake"
    put(trail, DAY + "times.json.gz", document(records))

    assert trail_run(trail, lake).returncode == 0

    reasons = sorted(q[3] for q in snapshot(lake).quarantine)
    assert "before CloudTrail existed" in reasons[0] and "more than a day after" in reasons[1]
    for stage in ("features", "train"):
        run = trailguard(stage, "--lake", str(lake))
        assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-3000:]


def test_a_fifo_as_the_source_is_a_one_line_error_not_a_traceback_or_a_hang(
    tmp_path: Path,
) -> None:
    fifo = tmp_path / "trail.json.gz"
    os.mkfifo(fifo)

    run = trail_run(fifo, tmp_path / "lake", timeout=60)

    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [
        f"trailguard: source is a FIFO, not a folder or a file: {fifo}"
    ]


def test_a_fifo_inside_the_source_is_named_as_unreadable_and_the_rest_read(tmp_path: Path) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    os.mkfifo(trail / DAY / "pipe.json.gz")

    run = trail_run(trail, lake, timeout=60)

    assert run.returncode == 1  # as for an unreadable file: it is read again next run
    assert f"unreadable: {trail / DAY / 'pipe.json.gz'}: a FIFO, not a regular file" in run.stdout
    assert sorted(snapshot(lake).event_ids) == sorted(r["eventID"] for r in GOOD)


def test_files_that_are_not_cloudtrail_logs_are_counted_and_named_in_the_summary(
    tmp_path: Path,
) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    notes = put(trail, DAY + "notes.txt", b"not a log")

    run = trail_run(trail, lake)

    assert run.returncode == 0
    assert "files skipped                1   (not CloudTrail logs)" in run.stdout
    assert f"  skipped: {notes}: not a CloudTrail log, by its name" in run.stdout


def test_a_source_with_nothing_to_ingest_warns_what_layout_is_expected(tmp_path: Path) -> None:
    trail, lake = good_tree(tmp_path / "trail"), tmp_path / "lake"
    assert trail_run(trail, lake).returncode == 0
    empty = tmp_path / "empty"
    put(empty, "README.md", b"# nothing here")

    run = trail_run(empty, lake)

    assert run.returncode == 0
    assert f"nothing to ingest: no CloudTrail log found under {empty}" in run.stderr
    assert "AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz" in run.stderr
    assert "1 other files skipped" in run.stderr


def test_bombs_in_s3_are_quarantined_and_marked_read_beside_the_good_object(
    s3_bucket: tuple[Any, str], s3_server: str, tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    for name, body in {
        "a.json.gz": document(GOOD),
        "b.json.gz": BOMBS["one 1.5 GiB string"](),  # 1.6 MB: fetched, inflated to the limit
        "c.json": orjson.dumps({"Records": GOOD}) + b" " * (5 << 20),  # listed too large: no GET
    }.items():
        client.put_object(Bucket=bucket, Key=DAY + name, Body=body)
    lake, limits = tmp_path / "lake", ReadLimits(object_bytes=4 << 20, record_bytes=64 << 10)
    source = f"s3://{bucket}/"

    summary = ingest(source, lake, endpoint_url=s3_server, workers=1, limits=limits)

    assert (summary.written, summary.quarantined_objects, summary.failed) == (3, 2, [])
    reasons = {key.rsplit("/", 1)[1]: reason for key, _, _, reason in snapshot(lake).quarantine}
    assert reasons["b.json.gz"].startswith("object decompresses to more than 4,194,304 bytes")
    assert reasons["c.json"].startswith("object is more than 4,194,304 bytes")
    rerun = ingest(source, lake, endpoint_url=s3_server, workers=1, limits=limits)
    assert (rerun.objects, rerun.skipped_objects) == (0, 3)
