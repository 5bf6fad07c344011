"""The finding spans the features leave out of history (sql/features/findings/).

An attack's calls are not normal behaviour: the events inside an active Medium or High finding's
span count in their own hour's features but in no later hour's history (first sightings,
baselines, peer groups' first sightings). Findings come after features (detection reads the
feature rows), so each feature run keeps the spans it used in `feature_spans`; the next run
compares them with the findings of now and recomputes from the first hour a new, grown or
archived span changes.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pyarrow as pa

from trailguard.pipeline.findings.store import has_findings_table
from trailguard.pipeline.sqlfiles import read_sql

SPANS_SCHEMA = pa.schema(
    [
        ("principal_key", pa.string()),
        ("account_id", pa.string()),
        ("first_seen", pa.timestamp("us", tz="UTC")),
        ("last_seen", pa.timestamp("us", tz="UTC")),
    ]
)


def read_spans(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The spans of the lake's active Medium and High findings (sql/features/findings/spans.sql);
    none before the first detection run made the findings table."""
    if not has_findings_table(con):
        return SPANS_SCHEMA.empty_table()
    return con.sql(read_sql("features/findings/spans.sql")).to_arrow_table().cast(SPANS_SCHEMA)


def changed_from(con: duckdb.DuckDBPyConnection, spans: pa.Table) -> datetime | None:
    """The first hour whose history `spans` change against the spans the stored feature rows
    were computed with (sql/features/findings/changed.sql); None when nothing changed."""
    con.execute(read_sql("features/findings/state.sql"))
    con.register("current_spans", spans)
    try:
        rows = con.execute(read_sql("features/findings/changed.sql")).fetchall()
        hour: datetime | None = rows[0][0]
    finally:
        con.unregister("current_spans")
    return hour


def write_spans(con: duckdb.DuckDBPyConnection, spans: pa.Table) -> None:
    """Keep `spans` as the ones the stored feature rows leave out (inside the caller's
    transaction, with the rows)."""
    con.execute(read_sql("features/findings/state.sql"))
    con.register("used_spans", spans)
    try:
        con.execute("DELETE FROM feature_spans")
        con.execute("INSERT INTO feature_spans BY NAME SELECT * FROM used_spans")
    finally:
        con.unregister("used_spans")
