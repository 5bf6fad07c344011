"""A damaged database recognised as such, and salvaged table group by table group."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from trailguard.pipeline.lake.recover import damaged_db_message, is_damaged_db, salvage


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
