"""Writes the machine refuses, and output nobody reads: one line and an exit code, never a
traceback, and a rerun once there is room loses nothing and duplicates nothing.

A full disk is played by a file size limit (`RLIMIT_FSIZE`, set in the child before it starts:
Python ignores SIGXFSZ, so a write past it fails with EFBIG as one past a full disk fails with
ENOSPC; DuckDB's commit then fails the same way, in the same words as the OS).
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import orjson

from tests.factories import cloudtrail_event
from tests.integration.ingest_helpers import lake_query
from trailguard.pipeline.cli.main import main

CLI = [sys.executable, "-m", "trailguard.pipeline.cli.main"]
FILE_LIMIT = 256 << 10  # bytes any one file may reach in the capped child
OBJECTS, PER_OBJECT = 12, 1500  # ~18,000 events: a few MB of Parquet, well past the limit


def write_trail(root: Path, accounts: tuple[str, ...]) -> int:
    """CloudTrail files for `accounts`; the number of events written."""
    for account in accounts:
        day = root / f"AWSLogs/{account}/CloudTrail/us-east-1/2026/10/05"
        day.mkdir(parents=True)
        for n in range(OBJECTS):
            events = [
                cloudtrail_event(
                    eventName=f"Describe{i % 40}",
                    eventTime=f"2026-10-05T{n:02d}:{i % 60:02d}:{i % 59:02d}Z",
                    recipientAccountId=account,
                    userIdentity__accountId=account,
                )
                for i in range(PER_OBJECT)
            ]
            path = day / f"{account}_CloudTrail_us-east-1_20261005T{n:02d}00Z_x.json"
            path.write_bytes(orjson.dumps({"Records": events}))
    return len(accounts) * OBJECTS * PER_OBJECT


def capped(*args: str) -> subprocess.CompletedProcess[str]:
    """`trailguard <args>` in a child whose files cannot grow past `FILE_LIMIT`."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_LIMIT, FILE_LIMIT))

    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, preexec_fn=limit, check=False
    )


def refused(done: subprocess.CompletedProcess[str], lake: Path) -> str:
    """The one line of a refused write (fails on a traceback or any other outcome)."""
    lines = [line for line in done.stderr.splitlines() if not line.startswith("WARNING")]
    assert done.returncode == 1 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr
    assert lines[0].startswith(f"trailguard: could not write to the lake {lake} (")
    assert "File too large" in lines[0] and "run the command again" in lines[0]
    return lines[0]


def test_a_refused_write_on_a_new_lake_is_one_line_and_leaves_no_lake(tmp_path: Path) -> None:
    trail, lake = tmp_path / "trail", tmp_path / "lake"
    written = write_trail(trail, ("111122223333",))

    refused(capped("ingest", "--source", str(trail), "--lake", str(lake)), lake)
    assert not lake.exists()

    assert main(["ingest", "--source", str(trail), "--lake", str(lake)]) == 0
    assert lake_query(lake, "SELECT count(*) FROM events") == [(written,)]


def test_after_a_refused_write_the_rerun_loses_nothing_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    trail, lake = tmp_path / "trail", tmp_path / "lake"
    first = write_trail(trail / "first", ("111122223333",))
    assert main(["ingest", "--source", str(trail / "first"), "--lake", str(lake)]) == 0
    second = write_trail(trail / "second", ("444455556666", "777788889999"))

    refused(capped("ingest", "--source", str(trail / "second"), "--lake", str(lake)), lake)
    assert not list(lake.rglob("*.tmp")), "a refused write leaves no partial file behind"

    assert main(["ingest", "--source", str(trail / "second"), "--lake", str(lake)]) == 0
    rows = lake_query(lake, "SELECT count(*), count(DISTINCT event_id) FROM events")
    assert rows == [(first + second, first + second)]
    assert main(["check", "--lake", str(lake)]) == 0


def test_output_piped_to_a_reader_that_stops_ends_quietly(tmp_path: Path) -> None:
    trail, lake = tmp_path / "trail", tmp_path / "lake"
    write_trail(trail, ("111122223333",))
    assert main(["ingest", "--source", str(trail), "--lake", str(lake)]) == 0
    query = ["query", "SELECT * FROM events", "--lake", str(lake)]

    # As `trailguard query ... | head -1`: the reader closes the pipe before the rows are out.
    child = subprocess.Popen([*CLI, *query], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()

    assert child.wait() == 141  # as a command ended by SIGPIPE
    assert err == ""
