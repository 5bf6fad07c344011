"""The object cursor: what a source already read, through itself or an overlapping source."""

from __future__ import annotations

import json
import shutil
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.ingest.state import (
    ObjectState,
    ensure_tables,
    has_objects_of,
    ingested_versions,
    object_states,
    record_objects,
)
from trailguard.pipeline.lake.compact import init_lake
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.dedup import IdCache
from trailguard.pipeline.lake.views import refresh_views
from trailguard.pipeline.lake.write import write_events

NOW = datetime(2026, 11, 1, tzinfo=UTC)
RECORDED = [  # (source, key, version): the bucket, one account's prefix, another bucket
    ("s3://b/", "AWSLogs/1/x.json.gz", "bucket-x"),
    ("s3://b/", "AWSLogs/2/y.json.gz", "bucket-y"),
    ("s3://b/AWSLogs/1/", "x.json.gz", "prefix-x"),
    ("s3://b/AWSLogs/1/", "z.json.gz", "prefix-z"),
    ("s3://c/", "AWSLogs/1/x.json.gz", "other-bucket"),
]


def test_versions_looked_up_by_key_are_those_of_the_whole_state(tmp_path: Path) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)
        states = [ObjectState(s, k, v, 1, 1, 0, NOW) for s, k, v in RECORDED]
        record_objects(con, object_states(states), [])

        whole = ingested_versions(con, "s3://b/AWSLogs/")
        looked_up = ingested_versions(con, "s3://b/AWSLogs/", ["1/x.json.gz", "1/z.json.gz", "3/n"])
        from_prefix = ingested_versions(con, "s3://b/AWSLogs/1/", ["x.json.gz", "w.json.gz"])

    assert whole == {
        "1/x.json.gz": "prefix-x",
        "2/y.json.gz": "bucket-y",
        "1/z.json.gz": "prefix-z",
    }
    assert looked_up == {"1/x.json.gz": "prefix-x", "1/z.json.gz": "prefix-z"}
    assert from_prefix == {"x.json.gz": "prefix-x"}  # its own row wins over the bucket's


def test_a_source_has_objects_in_the_state_when_it_or_an_overlapping_source_read_them(
    tmp_path: Path,
) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)
        assert not has_objects_of(con, "s3://b/")
        states = [ObjectState(s, k, v, 1, 1, 0, NOW) for s, k, v in RECORDED]
        record_objects(con, object_states(states), [])

        assert has_objects_of(con, "s3://b/")  # itself
        assert has_objects_of(con, "s3://b/AWSLogs/2/")  # under the bucket's objects
        assert has_objects_of(con, "s3://")  # over them
        assert not has_objects_of(con, "s3://d/")
        assert not has_objects_of(con, "s3://cc/")  # a bucket whose name starts as c's


def _lake_with_events(lake: Path, count: int) -> None:
    records = [cloudtrail_event(eventTime=f"2026-10-05T1{i}:00:00Z") for i in range(count)]
    ref = ObjectRef(uri="o", key="o", size=1, version="v1")
    table = to_batch("src", [(ref, json.dumps({"Records": records}).encode())], NOW).table
    init_lake(lake)
    write_events(lake, table, IdCache())


def _events_view(lake: Path) -> tuple[str, int]:
    with open_db(lake) as con:
        (comment,) = con.execute(
            "SELECT comment FROM duckdb_views() WHERE view_name = 'events'"
        ).fetchone() or (None,)
        (rows,) = con.execute("SELECT count(*) FROM events").fetchone() or (0,)
    return comment, rows


def test_views_are_created_once_events_exist_and_then_left_as_they_are(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    init_lake(lake)
    with open_db(lake) as con:
        assert refresh_views(con, lake) is False  # no events yet: no view over nothing
    _lake_with_events(lake, 3)
    with open_db(lake) as con:
        assert refresh_views(con, lake) is True
        assert con.execute("SELECT ua_family('aws-cli/2.15.0 python/3.11')").fetchone()
    comment, rows = _events_view(lake)
    assert rows == 3

    with open_db(lake) as con:  # a view of the same definition is not bound again
        con.execute("CREATE OR REPLACE VIEW events AS SELECT 42 AS marker")
        con.execute(f"COMMENT ON VIEW events IS '{comment}'")
        refresh_views(con, lake)
        assert con.execute("SELECT marker FROM events").fetchone() == (42,)


def test_views_of_another_definition_are_created_again(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    _lake_with_events(lake, 2)
    with open_db(lake) as con:
        con.execute("CREATE VIEW events AS SELECT 42 AS marker")  # as an older trailguard left it
        refresh_views(con, lake)
    assert _events_view(lake)[1] == 2

    moved = tmp_path / "moved"
    shutil.move(lake, moved)  # the view names the lake's absolute path, gone now
    with open_db(moved) as con:
        refresh_views(con, moved)
    assert _events_view(moved)[1] == 2


def test_object_states_have_the_state_table_s_columns_in_its_order(tmp_path: Path) -> None:
    states = [ObjectState("s3://b/", "k", "v", 10, 8, 1, NOW)]
    with open_db(tmp_path) as con:
        ensure_tables(con)
        record_objects(con, object_states(states), [])
        columns = [row[0] for row in con.execute("DESCRIBE ingest_state").fetchall()]
        stored = con.execute("SELECT * FROM ingest_state").fetchall()
    assert object_states(states).column_names == columns == [f.name for f in fields(ObjectState)]
    assert stored == [("s3://b/", "k", "v", 10, 8, 1, NOW)]
    assert object_states([]).schema == object_states(states).schema
