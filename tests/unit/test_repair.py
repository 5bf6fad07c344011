"""`trailguard check --repair` and `--rebuild-db`: lost events read again, a damaged database
replaced, nothing written twice."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.findings import rule_finding
from tests.unit.lake.trail import DAYS, cut_short, partition, trail_and_lake
from trailguard.pipeline.findings.store import load_findings, upsert_findings
from trailguard.pipeline.lake.db import db_path, open_db
from trailguard.pipeline.lake.recover import backup_path
from trailguard.pipeline.repair import check_lake, rebuild_database, repair_lake


def event_ids(lake: Path) -> list[str]:
    with open_db(lake, read_only=True) as con:
        return sorted(r[0] for r in con.execute("SELECT event_id FROM events").fetchall())


def test_repair_reads_a_deleted_partition_back_from_the_source(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    before = event_ids(lake)
    shutil.rmtree(partition(lake, DAYS[0]))

    done = repair_lake(lake)

    assert done.restored == 10 and done.after.sound
    assert [s.written for s in done.reread.values()] == [10]
    assert event_ids(lake) == before


def test_repair_moves_a_truncated_file_aside_and_restores_its_events(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    before = event_ids(lake)
    [file] = list(partition(lake, DAYS[1]).glob("*.parquet"))
    cut_short(file)

    done = repair_lake(lake)

    assert done.moved_to is not None
    assert (done.moved_to / file.relative_to(lake)).exists() and not file.exists()
    assert done.after.sound and event_ids(lake) == before


def test_a_source_that_is_gone_leaves_the_damage_reported(tmp_path: Path) -> None:
    trail, lake = trail_and_lake(tmp_path)
    shutil.rmtree(partition(lake, DAYS[0]))
    shutil.rmtree(trail)

    done = repair_lake(lake)

    assert list(done.failed) == [trail.resolve().as_uri()]
    assert not done.after.sound and len(done.after.reread) == 2  # still named, state kept


def test_a_sound_lake_is_recorded_and_backed_up(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    assert check_lake(lake).sound
    assert backup_path(lake) is not None


def damage(path: Path) -> None:
    """Overwrite the middle of the database file: its blocks there fail their checksums."""
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 65536] = bytes(65536)
    path.write_bytes(bytes(data))


def test_rebuild_keeps_findings_from_the_backup_and_rebuilds_the_state(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake) as con:
        upsert_findings(con, [rule_finding()])
    check_lake(lake)  # sound: backs the findings up
    cut_short(db_path(lake))

    done = rebuild_database(lake, sources=[str(tmp_path / "trail")])

    assert done.moved_to.exists()
    assert done.salvaged.origin["findings"] == "backup"
    assert [s.written for s in done.reread.values()] == [0]  # the events were in the lake
    with open_db(lake, read_only=True) as con:
        assert [f.finding_id for f in load_findings(con)] == [rule_finding().finding_id]
        assert con.execute("SELECT count(*) FROM ingest_state").fetchall() == [(4,)]
    assert check_lake(lake).sound


def test_new_findings_after_a_rebuild_get_revisions_past_every_cursor(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake) as con:
        upsert_findings(con, [rule_finding()])
        con.execute(
            "CREATE TABLE export_cursors (destination VARCHAR PRIMARY KEY, revision BIGINT,"
            " sent_total BIGINT, last_success_at TIMESTAMPTZ, last_attempt_at TIMESTAMPTZ,"
            " last_error VARCHAR)"
        )
        con.execute("INSERT INTO export_cursors VALUES ('ndjson:x', 40, 1, NULL, NULL, NULL)")
    check_lake(lake)
    cut_short(db_path(lake))

    rebuild_database(lake, sources=[str(tmp_path / "trail")])

    with open_db(lake) as con:
        upsert_findings(con, [rule_finding(finding_id="f-after-the-rebuild")])
        new = "SELECT revision FROM findings WHERE finding_id = 'f-after-the-rebuild'"
        [(revision,)] = con.execute(new).fetchall()
    assert revision > 40


def test_rebuild_without_any_record_of_the_sources_asks_for_them(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    (lake / "trailguard.duckdb").write_bytes(b"not a database at all" * 100)

    with pytest.raises(ValueError, match="give them with --source"):
        rebuild_database(lake)
    assert (lake / "trailguard.duckdb").exists()  # nothing was moved


def test_rebuild_salvages_what_the_damaged_file_can_still_read(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake) as con:
        upsert_findings(con, [rule_finding()])
        con.execute("CHECKPOINT")
    damage(db_path(lake))

    done = rebuild_database(lake, sources=[str(tmp_path / "trail")])

    readable = {g for g, origin in done.salvaged.origin.items() if origin == "damaged file"}
    lost = set(done.salvaged.errors)
    assert readable | lost | {"ingest state"} >= {"findings", "export cursors", "run history"}
    assert check_lake(lake).sound
