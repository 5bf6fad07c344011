"""The `export` flow keeps the database backup, as the detect flow does: its cursors exist
nowhere else, and a lost cursor sends every finding again."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.lake import cursor_row, store
from trailguard.pipeline.lake.db import db_path
from trailguard.pipeline.lake.recover import backup_path, salvage

pytestmark = pytest.mark.prefect


def test_a_database_damaged_after_the_export_flow_gets_the_cursor_back_from_the_backup(
    prefect_api: str, tmp_path: Path
) -> None:
    from trailguard.flows.export import export

    lake = tmp_path / "lake"
    store(lake, [rule_finding(), ml_finding()])

    stats = export(destination=f"ndjson:{tmp_path / 'out'}", lake=lake)
    cursor = cursor_row(lake, stats.destination)
    db_path(lake).write_bytes(b"garbage" * 1000)
    found = salvage(db_path(lake), backup_path(lake))

    assert stats.ok and stats.sent == 2 and cursor is not None
    assert found.origin["export cursors"] == "backup"
    cursors = found.tables["export_cursors"].to_pylist()
    assert [(c["destination"], c["revision"]) for c in cursors] == [
        (stats.destination, stats.cursor_after)
    ]
    assert stats.cursor_after == cursor["revision"] > stats.cursor_before
