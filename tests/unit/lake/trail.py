"""A small trail on disk (a folder laid out as CloudTrail delivers it) and its lake, for the
tests of `trailguard check`."""

from __future__ import annotations

import json
from pathlib import Path

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.ingest import ingest

ACCOUNT = "111122223333"
DAYS = ("2026-10-05", "2026-10-06")


def write_trail(root: Path, per_object: int = 5) -> Path:
    """Two objects per day of `DAYS`, each of `per_object` events of that day; returns `root`."""
    for day in DAYS:
        folder = root / "AWSLogs" / ACCOUNT / "CloudTrail" / "us-east-1" / day.replace("-", "/")
        folder.mkdir(parents=True, exist_ok=True)
        for hour in (10, 14):
            records = [
                cloudtrail_event(eventTime=f"{day}T{hour}:{minute:02d}:00Z")
                for minute in range(per_object)
            ]
            name = f"{ACCOUNT}_CloudTrail_us-east-1_{day.replace('-', '')}T{hour}00Z_x.json"
            (folder / name).write_text(json.dumps({"Records": records}))
    return root


def trail_and_lake(tmp_path: Path) -> tuple[Path, Path]:
    """A trail of `write_trail` and a lake that ingested it."""
    trail = write_trail(tmp_path / "trail")
    lake = tmp_path / "lake"
    ingest(str(trail), lake, workers=1)
    return trail, lake


def partition(lake: Path, day: str) -> Path:
    """The folder of a day's partition."""
    return lake / "events" / f"event_date={day}" / f"account_id={ACCOUNT}"


def cut_short(path: Path) -> None:
    """Truncate a file to half its size, as a full disk or an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
