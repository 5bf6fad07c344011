"""The lake database: a file busy in another process is a clear, retried wait, never a crash."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from trailguard.pipeline.lake.db import DatabaseBusy, db_path, open_db

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
con.close()
"""


def hold_database(lake: Path, seconds: float) -> subprocess.Popen[str]:
    """Another process holding the lake database for writing, like a running `duckdb` shell."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db_path(lake)), str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "held"
    return process


def test_a_writer_waits_for_a_busy_database_and_then_proceeds(tmp_path: Path) -> None:
    with open_db(tmp_path) as con:
        con.execute("CREATE TABLE t (x INTEGER)")
    holder = hold_database(tmp_path, seconds=1.5)
    start = time.monotonic()

    with open_db(tmp_path, timeout=30) as con:
        con.execute("INSERT INTO t VALUES (1)")

    assert time.monotonic() - start >= 0.5  # it waited for the holder instead of failing
    holder.wait(timeout=10)
    with open_db(tmp_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM t").fetchall() == [(1,)]


def test_a_database_busy_for_too_long_fails_with_a_message_naming_the_file(
    tmp_path: Path,
) -> None:
    with open_db(tmp_path):
        pass
    holder = hold_database(tmp_path, seconds=10)
    try:
        busy = r"trailguard\.duckdb is held by another process"
        with pytest.raises(DatabaseBusy, match=busy), open_db(tmp_path, timeout=0.5):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_the_database_file_is_owner_only(tmp_path: Path) -> None:
    with open_db(tmp_path):
        pass
    assert db_path(tmp_path).stat().st_mode & 0o777 == 0o600


def test_reading_a_lake_that_does_not_exist_says_what_to_do(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere"
    with (
        pytest.raises(FileNotFoundError, match="run `trailguard ingest` first"),
        open_db(missing, read_only=True),
    ):
        pass
