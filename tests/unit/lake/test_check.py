"""`trailguard check`: a lake's files against the ledger of what was written to them."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from tests.unit.lake.trail import DAYS, cut_short, partition, trail_and_lake
from trailguard.pipeline.lake.check import inspect_lake, missing_partitions
from trailguard.pipeline.lake.damage import LakeCheck
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.layout import Partition
from trailguard.pipeline.lake.ledger import recorded_rows


def check(lake: Path, quick: bool = False) -> LakeCheck:
    with open_db(lake, read_only=True) as con:
        return inspect_lake(lake, con, quick=quick)


def test_ingest_records_the_events_each_partition_holds(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake, read_only=True) as con:
        rows = recorded_rows(con)
    assert rows == {Partition(day, "111122223333"): 10 for day in DAYS}


def test_an_untouched_lake_is_sound(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    found = check(lake)
    assert found.sound and found.events == 20 and found.objects == 4


def test_a_deleted_partition_is_missing_and_names_the_objects_that_wrote_it(
    tmp_path: Path,
) -> None:
    _, lake = trail_and_lake(tmp_path)
    shutil.rmtree(partition(lake, DAYS[0]))

    found = check(lake)

    [damaged] = found.damaged
    assert damaged.partition.event_date == DAYS[0]
    assert damaged.problem == "missing (10 events recorded)"
    assert sorted(Path(uri).parts[-4:-1] for uri in found.reread) == [("2026", "10", "05")] * 2


def test_a_truncated_file_is_unreadable_and_names_its_partitions_objects(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    [file] = list(partition(lake, DAYS[1]).glob("*.parquet"))
    cut_short(file)

    found = check(lake, quick=True)

    [damaged] = found.damaged
    assert damaged.unreadable[0].path == file
    assert (damaged.problem or "").startswith(f"cannot read {file.name}: ")
    assert len(found.reread) == 2


def test_a_partition_short_of_events_is_damaged(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake) as con:  # as if a second file of the partition had been deleted
        con.execute(
            "UPDATE partition_rows SET rows = rows + 3 WHERE event_date = $d", {"d": DAYS[0]}
        )

    [damaged] = check(lake).damaged

    assert damaged.problem == "holds 10 of the 13 events recorded"


def test_the_quick_look_before_a_command_finds_a_missing_partition(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)
    shutil.rmtree(partition(lake, DAYS[1]))
    with open_db(lake, read_only=True) as con:
        assert missing_partitions(lake, con) == [
            f"events/event_date={DAYS[1]}/account_id=111122223333"
        ]


def test_a_lake_from_before_the_ledger_finds_objects_whose_events_are_all_gone(
    tmp_path: Path,
) -> None:
    _, lake = trail_and_lake(tmp_path)
    with open_db(lake) as con:  # the tables a lake of an earlier version does not have
        con.execute("DROP TABLE partition_objects")
        con.execute("DROP TABLE partition_rows")
    assert check(lake).sound
    shutil.rmtree(partition(lake, DAYS[0]))

    found = check(lake)

    assert found.damaged == []  # without a ledger, the partition itself is not known
    assert sorted(found.reread.values()) == ["none of its events is in the lake"] * 2


def test_a_database_table_that_cannot_be_read_makes_the_lake_unsound(tmp_path: Path) -> None:
    _, lake = trail_and_lake(tmp_path)

    class Broken:  # stands for a connection whose table pages fail their checksum
        def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
            self.con = con

        def __getattr__(self, name: str) -> object:
            return getattr(self.con, name)

        def table(self, name: str) -> object:
            if name == "quarantine":
                raise duckdb.Error("Corrupt database file: computed checksum 1 does not match")
            return self.con.table(name)

    with open_db(lake, read_only=True) as con:
        found = inspect_lake(lake, Broken(con))  # type: ignore[arg-type]

    assert not found.sound
    assert found.tables == {
        "quarantine": "Corrupt database file: computed checksum 1 does not match"
    }
