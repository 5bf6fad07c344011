"""A damaged database recognised as such, and salvaged table group by table group."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.helpers.findings import rule_finding
from tests.helpers.lake import store
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.lock import LakeLocked
from trailguard.pipeline.lake.recover import (
    backup_path,
    damaged_db_message,
    is_damaged_db,
    restore,
    salvage,
    write_backup,
)
from trailguard.pipeline.sqlfiles import read_sql


def test_duckdb_s_words_for_a_damaged_file_are_recognised() -> None:
    for text in (
        'IO Error: The file "x" exists, but it is not a valid DuckDB database file!',
        "Corrupt database file: computed checksum 1 does not match stored checksum 2",
        'IO Error: Could not read enough bytes from file "x": attempted to read 4096 bytes',
    ):
        assert is_damaged_db(duckdb.IOException(text)), text


def test_a_busy_file_or_a_mistake_is_not_damage() -> None:
    busy = duckdb.IOException('Could not set lock on file "x": Conflicting lock is held')
    assert not is_damaged_db(busy)
    assert not is_damaged_db(duckdb.CatalogException("Table with name nope does not exist!"))


def test_the_message_names_the_file_and_the_recovery_command() -> None:
    error = duckdb.IOException("IO Error: not a valid DuckDB database file!\nmore")
    message = damaged_db_message(Path("/srv/lake"), error)
    assert "\n" not in message
    assert "/srv/lake/trailguard.duckdb is damaged (IO Error: not a valid DuckDB" in message
    assert "`trailguard check --rebuild-db --lake /srv/lake`" in message


def test_salvage_takes_each_group_from_the_damaged_file_or_else_the_backup(
    tmp_path: Path,
) -> None:
    damaged, backup = tmp_path / "damaged.duckdb", tmp_path / "backup.duckdb"
    damaged.write_bytes(b"garbage" * 1000)
    with duckdb.connect(str(backup)) as con:
        con.execute("CREATE TABLE findings AS SELECT 'f1' AS finding_id")

    found = salvage(damaged, backup)

    assert found.origin["findings"] == "backup"
    assert found.tables["findings"].column("finding_id").to_pylist() == ["f1"]
    assert "not a valid DuckDB database file" in found.errors["ingest state"]


@pytest.mark.parametrize("missing", ["damaged", "both"])
def test_salvage_of_nothing_is_empty(tmp_path: Path, missing: str) -> None:
    found = salvage(tmp_path / "none.duckdb", None if missing == "both" else tmp_path / "x")
    assert found.tables == {} and found.origin == {}


def test_a_backup_older_than_the_schema_restores_with_the_new_columns_empty(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    lake.mkdir()
    backup = tmp_path / "backup.duckdb"
    with duckdb.connect(str(backup)) as con:  # findings as stored before triage existed
        con.execute(read_sql("findings/schema.sql"))
        con.execute(
            "ALTER TABLE findings DROP COLUMN status_reason; "
            "ALTER TABLE findings DROP COLUMN status_by; ALTER TABLE findings DROP COLUMN status_at"
        )
        con.execute(
            "INSERT INTO findings (finding_id, type, severity, title, description, principal, "
            "first_seen, last_seen, event_count, detector, evidence, created_at, updated_at, "
            "revision) VALUES ('f1', 't', 5.0, 't', 'd', 'p', now(), now(), 1, 'x', '{}', "
            "now(), now(), 7)"
        )

    restore(lake, salvage(tmp_path / "none.duckdb", backup))

    with open_db(lake, read_only=True) as con:
        rows = con.execute(
            "SELECT finding_id, status, status_by, revision FROM findings"
        ).fetchall()
    assert rows == [("f1", "active", None, 7)]


_HOLD_BACKUP_LOCK = """
import sys
from trailguard.pipeline.lake.lock import lake_lock
with lake_lock(sys.argv[1], scope="backup"):
    print("held", flush=True)
    sys.stdin.read()
"""


def test_a_backup_is_refused_while_another_process_writes_one_and_written_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An export holds no lake lock: its backup may meet a detection run's, in another process.
    # With a short lock timeout the backup is refused (without the lock it would simply be
    # written: no timing guess), then written once the other process lets go.
    lake = tmp_path / "lake"
    store(lake, [rule_finding()])
    monkeypatch.setenv("TRAILGUARD_LOCK_TIMEOUT", "0.2")
    other = subprocess.Popen(
        [sys.executable, "-c", _HOLD_BACKUP_LOCK, str(lake)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert other.stdout is not None and other.stdout.readline() == "held\n"
        with pytest.raises(LakeLocked):
            write_backup(lake)
        assert backup_path(lake) is None
    finally:
        other.communicate("", timeout=30)
    write_backup(lake)
    assert backup_path(lake) is not None
