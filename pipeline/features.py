"""Run the feature families of `sql/features/*.sql` into the `features` table. Knows no feature.

Grain: one row per principal key, account and hour (`window_start`), for every hour in which the
principal made at least one call. An hour is the unit because attacks are short (minutes to
hours) and GuardDuty's own anomaly findings are about that coarse; quieter hours simply have no
row. Each family is one SELECT returning the key columns plus its own; the first family defines
the rows, the others are joined on to them.

Incremental: the cursor (`feature_state`) is the newest `ingested_at` already featurised. A run
recomputes every hour from the earliest hour any newer event falls in (late events included)
onwards, and leaves older hours alone; a change to the feature SQL or the API catalogue (their
SHA-256 is kept with the cursor) makes the next run a full rebuild. The work happens in an
in-memory DuckDB over the Parquet; the lake's database file is only opened for the short read of
the cursor and the short write of the results, so other tools are not locked out.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from pipeline.db import open_db
from pipeline.enrich import API_CATEGORIES_CSV, IP_INFO_SCHEMA, new_ips, register_reference
from pipeline.lock import holds_lake_lock
from pipeline.sqlfiles import SQL_DIR, read_sql, sql_files
from pipeline.state import create_views

_COMMENT = re.compile(r"--[^\n]*")
KEY_COLUMNS = ["principal_key", "account_id", "window_start"]
HISTORY = timedelta(days=30)  # novelty looks back at least this far before the first hour
LEARNING = timedelta(days=7)  # own history a principal needs to be judged against itself
PEER_LEARNING = timedelta(days=3)  # history a peer group needs; before it nothing is novel
BASELINE = timedelta(days=14)  # trailing window of the per-principal baselines


@dataclass(frozen=True)
class FeatureStats:
    """What a feature run did."""

    windows: int  # feature rows written
    principals: int
    window_start: datetime | None  # first hour recomputed (None: nothing to do)
    window_end: datetime | None
    new_ips: int
    seconds: float
    full: bool


@holds_lake_lock  # overlapping runs must not read files a compaction removes
def build_features(lake: Path, *, full: bool = False) -> FeatureStats:
    """Compute features for the hours with new events (all hours when `full`) into the lake."""
    started = time.monotonic()
    with open_db(lake) as con:
        con.execute(read_sql("detect/state.sql"))
        cursor, columns = _cursor(con)
        known_ips = con.sql("SELECT * FROM ip_info").to_arrow_table()
    mem = duckdb.connect()
    mem.execute("SET TimeZone = 'UTC'")
    try:
        if not create_views(mem, lake):
            return FeatureStats(0, 0, None, None, 0, time.monotonic() - started, full)
        return _build(
            mem,
            lake,
            cursor=None if full else cursor,
            columns=columns,
            known_ips=known_ips,
            started=started,
        )
    finally:
        mem.close()


def _build(
    mem: duckdb.DuckDBPyConnection,
    lake: Path,
    *,
    cursor: datetime | None,
    columns: str | None,
    known_ips: pa.Table,
    started: float,
) -> FeatureStats:
    signature = feature_signature()
    if columns != signature:
        cursor = None  # the feature SQL changed since the stored rows were computed: rebuild
    start, end, ingested = _range(mem, cursor)
    if start is None or end is None:
        return FeatureStats(0, 0, None, None, 0, time.monotonic() - started, cursor is None)
    fresh = new_ips(mem, known_ips)
    register_reference(mem, pa.concat_tables([known_ips.cast(IP_INFO_SCHEMA), fresh]))
    table = compute_features(mem, start, end)
    with open_db(lake) as con:
        _write(
            con, table, fresh, start, full=cursor is None, signature=signature, ingested=ingested
        )
    principals = len(set(table.column("principal_key").to_pylist()))
    return FeatureStats(
        table.num_rows,
        principals,
        start,
        end,
        fresh.num_rows,
        time.monotonic() - started,
        cursor is None,
    )


def feature_signature() -> str:
    """SHA-256 of every SQL file features depend on: a change means stored rows are stale."""
    digest = hashlib.sha256()
    for path in [SQL_DIR / "detect" / "events_enriched.sql", *sql_files("features")]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    digest.update(API_CATEGORIES_CSV.read_bytes())
    return digest.hexdigest()


def _cursor(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, str | None]:
    rows = con.execute(
        "SELECT ingested_through, columns FROM feature_state WHERE name = 'features'"
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def _range(
    mem: duckdb.DuckDBPyConnection, cursor: datetime | None
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(first hour to recompute, end of the last hour, newest ingested_at) for this run."""
    row = mem.execute(read_sql("detect/feature_range.sql"), {"cursor": cursor}).fetchall()[0]
    if row[0] is None:
        return None, None, None
    return row[0], row[1], row[2]


def feature_params(start: datetime, end: datetime) -> dict[str, Any]:
    """The bind parameters every feature file may use."""
    return {
        "window_start": start,
        "window_end": end,
        "history_start": start - HISTORY,
        "learning": LEARNING,
        "peer_learning": PEER_LEARNING,
        "baseline": BASELINE,
    }


def compute_features(mem: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pa.Table:
    """All feature families for hours in [start, end), joined on the key columns."""
    params = feature_params(start, end)
    mem.execute(
        read_sql("detect/events_enriched.sql"),
        _used(read_sql("detect/events_enriched.sql"), params),
    )
    merged: pa.Table | None = None
    for path in sql_files("features"):
        sql = read_sql(f"features/{path.name}")
        family = mem.sql(sql, params=_used(sql, params)).to_arrow_table()
        merged = (
            family if merged is None else merged.join(family, KEY_COLUMNS, join_type="left outer")
        )
    assert merged is not None, "no feature files in sql/features"
    return _fill_nulls(merged).sort_by([(name, "ascending") for name in KEY_COLUMNS])


def _used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters `sql` refers to (DuckDB rejects unused named parameters)."""
    code = _COMMENT.sub("", sql)
    return {name: value for name, value in params.items() if f"${name}" in code}


def _fill_nulls(table: pa.Table) -> pa.Table:
    """Numeric feature columns as float64 with 0 for 'no row in that family' (e.g. no events)."""
    import pyarrow.compute as pc

    for index, field in enumerate(table.schema):
        if field.name in KEY_COLUMNS or not _numeric(field.type):
            continue
        column = pc.fill_null(table.column(index).cast(pa.float64()), 0.0)
        table = table.set_column(index, pa.field(field.name, pa.float64()), column)
    return table


def _numeric(dtype: pa.DataType) -> bool:
    return bool(
        pa.types.is_integer(dtype) or pa.types.is_floating(dtype) or pa.types.is_decimal(dtype)
    )


def _write(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    fresh_ips: pa.Table,
    start: datetime,
    *,
    full: bool,
    signature: str,
    ingested: datetime | None,
) -> None:
    """Replace recomputed hours, keep new address lookups, move the cursor: one transaction."""
    con.register("new_features", table)
    con.register("new_ips", fresh_ips)
    con.execute("BEGIN TRANSACTION")
    try:
        if full:
            con.execute("DROP TABLE IF EXISTS features")
            con.execute("CREATE TABLE features AS SELECT * FROM new_features")
        else:
            con.execute("DELETE FROM features WHERE window_start >= $start", {"start": start})
            con.execute("INSERT INTO features BY NAME SELECT * FROM new_features")
        con.execute("INSERT OR IGNORE INTO ip_info SELECT * FROM new_ips")
        con.execute(
            read_sql("detect/feature_cursor.sql"), {"ingested": ingested, "columns": signature}
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def load_features(
    con: duckdb.DuckDBPyConnection, start: datetime | None = None, end: datetime | None = None
) -> pa.Table:
    """Feature rows with window_start in [start, end) (open bounds when None), key-ordered."""
    sql = read_sql("detect/load_features.sql")
    return con.sql(sql, params={"start": start, "end": end}).to_arrow_table()
