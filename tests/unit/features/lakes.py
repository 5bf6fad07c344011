"""Small lakes built from factory events, for feature and detection tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.lake.db import open_db

START = datetime(2026, 10, 1, tzinfo=UTC)
OFFICE_IP = "73.252.10.20"  # a US consumer ISP
FOREIGN_IP = "185.220.101.7"  # a VPS range rented by attackers


def at(day: int, hour: int, minute: int = 0) -> str:
    """eventTime of a day (0-based from START) and hour."""
    return (START + timedelta(days=day, hours=hour, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def routine(
    days: range, hours: range, calls: list[tuple[str, str]], **overrides: Any
) -> Iterator[dict[str, Any]]:
    """The same calls (source, name) once in each of `hours` on each of `days`."""
    for day in days:
        for hour in hours:
            for minute, (source, name) in enumerate(calls):
                yield cloudtrail_event(
                    eventTime=at(day, hour, minute),
                    eventSource=source,
                    eventName=name,
                    **overrides,
                )


def write_records(folder: Path, records: list[dict[str, Any]], name: str = "batch") -> None:
    """Records as one CloudTrail object (`{"Records": [...]}`) in a CloudTrail-like folder."""
    path = folder / "AWSLogs" / "111122223333" / "CloudTrail" / "us-east-1" / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"Records": records}), encoding="utf-8")


def make_lake(tmp: Path, records: list[dict[str, Any]], name: str = "batch") -> Path:
    """Ingest `records` into `<tmp>/lake` (adding to what is there) and return the lake."""
    write_records(tmp / "source", records, name)
    lake = tmp / "lake"
    ingest(str(tmp / "source"), lake, workers=1)
    return lake


def feature_rows(lake: Path, principal: str | None = None) -> list[dict[str, Any]]:
    """Rows of the feature table (of one principal when given), in key order."""
    with open_db(lake, read_only=True) as con:
        cursor = con.execute(
            "SELECT * FROM features WHERE $p IS NULL OR principal_key = $p "
            "ORDER BY principal_key, window_start",
            {"p": principal},
        )
        columns = [d[0] for d in cursor.description or []]
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def window(rows: list[dict[str, Any]], day: int, hour: int) -> dict[str, Any]:
    """The row of the hour `hour` of day `day`."""
    start = START + timedelta(days=day, hours=hour)
    (row,) = [r for r in rows if r["window_start"] == start]
    return row
