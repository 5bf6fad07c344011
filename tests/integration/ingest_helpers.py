"""Helpers for ingest integration tests: upload a tree to S3, read the lake back."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import duckdb

from trailguard.pipeline.lake.db import open_db


def upload_tree(client: Any, bucket: str, root: Path, prefix: str = "") -> list[str]:
    """Put every file under `root` into the bucket at `prefix` + its relative path."""
    keys = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = prefix + path.relative_to(root).as_posix()
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes())
        keys.append(key)
    return keys


def read_records(path: Path) -> list[dict[str, Any]]:
    """Records of a sample file, read independently of trailguard's decoder."""
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    text = data.decode()
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    return document["Records"] if isinstance(document, dict) else document


def lake_query(lake: Path, sql: str, params: dict[str, Any] | None = None) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the lake database."""
    with open_db(lake, read_only=True) as con:
        return con.execute(sql, params).fetchall()


def event_ids(lake: Path) -> list[str]:
    """Every event_id in the lake, sorted (duplicates kept, so a test can see them)."""
    return sorted(r[0] for r in lake_query(lake, "SELECT event_id FROM events"))


def parquet_rows(lake: Path) -> int:
    """Rows in the lake's Parquet files, counted without the view."""
    pattern = str(lake / "events" / "*" / "*" / "*.parquet")
    return int(duckdb.sql(f"SELECT count(*) FROM read_parquet('{pattern}')").fetchall()[0][0])
