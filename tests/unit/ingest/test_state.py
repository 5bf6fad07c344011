"""The object cursor: what a source already read, through itself or an overlapping source."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from pipeline.db import open_db
from pipeline.state import ObjectState, ensure_tables, ingested_versions, record_objects

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
        record_objects(con, states, [])

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
