"""What a lake holds, in a form two lakes can be compared by: rows and state, order-free."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from trailguard.pipeline.features.build import load_features
from trailguard.pipeline.findings.store import load_findings
from trailguard.pipeline.lake.db import open_db

# Run-specific values: when a row or object was ingested differs between any two runs.
_RUN_COLUMNS = ("ingested_at",)
# What a finding is, without when this particular lake stored it.
_RUN_FIELDS = ("created_at", "updated_at", "revision")


def lake_rows(lake: Path) -> list[tuple[Any, ...]]:
    """Every event row of the lake's Parquet files (without run timestamps), sorted."""
    files = sorted(p for p in (lake / "events").rglob("*.parquet") if not p.name.startswith("."))
    if not files:
        return []
    table = pa.concat_tables([pq.read_table(f) for f in files]).drop_columns(list(_RUN_COLUMNS))
    return sorted(tuple(str(v) for v in row.values()) for row in table.to_pylist())


def state_rows(lake: Path) -> list[tuple[Any, ...]]:
    """The ingest cursor: (source, key, version, records, quarantined) of every object."""
    with open_db(lake, read_only=True) as con:
        return con.execute(
            "SELECT source, key, version, records, quarantined FROM ingest_state ORDER BY ALL"
        ).fetchall()


def duplicate_event_ids(lake: Path) -> int:
    """How many event ids appear more than once in the lake (must be 0)."""
    rows = lake_rows(lake)
    ids = [r[0] for r in rows]
    return len(ids) - len(set(ids))


def ingest_runs(lake: Path) -> list[tuple[Any, Any]]:
    """(started_at, finished_at) of every ingest run kept in the lake, oldest first."""
    with open_db(lake, read_only=True) as con:
        return con.execute(
            "SELECT started_at, finished_at FROM ingest_runs ORDER BY started_at"
        ).fetchall()


def feature_table(lake: Path) -> pa.Table:
    """The lake's whole feature table, in key order."""
    with open_db(lake, read_only=True) as con:
        return load_features(con)


def stored_findings(lake: Path) -> list[dict[str, Any]]:
    """Every stored finding, without run timestamps, in id order."""
    with open_db(lake, read_only=True) as con:
        findings = load_findings(con)
    rows = [{k: v for k, v in vars(f).items() if k not in _RUN_FIELDS} for f in findings]
    return sorted(rows, key=lambda r: str(r["finding_id"]))
