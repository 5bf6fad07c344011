"""Commands that read a lake refuse a folder that is not one; a failed first run leaves none."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.pipeline.cli.args import new_lake_removed_on_failure, require_lake
from trailguard.pipeline.ingest.state import ensure_tables
from trailguard.pipeline.lake.db import open_db


def test_a_folder_without_the_lake_database_is_not_a_lake(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match="is not a trailguard lake"):
        require_lake(tmp_path)


def test_a_missing_folder_is_named_as_missing(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError, match=r"no lake at .* give the lake with --lake"):
        require_lake(tmp_path / "lake")


def test_a_lake_passes(tmp_path: Path) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)
    require_lake(tmp_path)


def test_a_failed_first_run_removes_the_lake_folder_it_created(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    with pytest.raises(RuntimeError), new_lake_removed_on_failure(lake):
        (lake / "events").mkdir(parents=True)
        raise RuntimeError("listing failed")
    assert not lake.exists()


def test_a_failed_first_run_in_an_existing_folder_removes_only_what_it_added(
    tmp_path: Path,
) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RuntimeError), new_lake_removed_on_failure(tmp_path):
        (tmp_path / "events").mkdir()
        (tmp_path / "trailguard.duckdb").write_bytes(b"")
        raise RuntimeError("listing failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_a_failed_run_on_an_existing_lake_removes_nothing(tmp_path: Path) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)
    with pytest.raises(RuntimeError), new_lake_removed_on_failure(tmp_path):
        (tmp_path / "events").mkdir()
        raise RuntimeError("listing failed")
    assert (tmp_path / "events").is_dir() and (tmp_path / "trailguard.duckdb").exists()
