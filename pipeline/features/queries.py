"""The feature SQL files, run in DuckDB connections over a shard's events. Knows no feature.

The folders of `sql/features/`, in the order they run (each file of `shard/`, `gather/` and
`peers/` creates the temp table it is named after, without a leading `NN_`):
- `plan/`: one scan of the whole lake before any shard (`scan_lake`): the run's hours, the
  addresses to look up, and `keys`, the principals numbered with an integer `pid` (each shard is
  given its accounts' rows of it);
- `findings/`: read from the lake's database when the run is planned
  (`pipeline.features.incidents`): the spans of active findings, whose events the features leave
  out of history, and the first hour a change in them makes stale;
- `shard/`: tables of a shard's own events that stay in the shard (`incidents`, `calls`,
  `hourly`, `sightings`), keyed by `pid`;
- `gather/`: tables with one row per principal or less (`profiles`, `own_first`). A principal's
  events all live in its account, so a shard of whole accounts has its rows complete; the rows of
  every shard are gathered to compute `peers/`;
- `peers/`: the organisation's tables (a peer group spans accounts and shards), computed once from
  the gathered rows and given to every shard;
- `*.sql`: the feature families, each a SELECT keyed by `pid` and hour (`FAMILY_KEYS`), joined in
  DuckDB and given back their principal key and account (`KEY_COLUMNS`) from `keys`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.lake.views import open_memory
from trailguard.pipeline.sqlfiles import read_sql, sql_files

_COMMENT = re.compile(r"--[^\n]*")
KEY_COLUMNS = ["principal_key", "account_id", "window_start"]
FAMILY_KEYS = ["pid", "window_start"]  # what the families are keyed by inside a shard
Tables = dict[str, pa.Table]  # temp table name -> its rows


@dataclass(frozen=True)
class LakeScan:
    """What the one scan of the whole lake (sql/features/plan/) tells a feature run."""

    start: datetime | None  # first hour to recompute (None: nothing new)
    end: datetime | None  # end of the newest hour
    ingested: datetime | None  # newest ingested_at: the next cursor
    addresses: list[str]  # every distinct source IP address
    keys: pa.Table  # every principal, numbered (plan/30_keys.sql)


def scan_lake(con: duckdb.DuckDBPyConnection, cursor: datetime | None) -> LakeScan:
    """Run sql/features/plan/ over the `events` of `con` (events ingested after `cursor` are new;
    all are when it is None)."""
    _run(con, "features/plan/10_seen.sql", {"cursor": cursor})
    start, end, ingested, addresses = con.execute(
        read_sql("features/plan/20_range.sql")
    ).fetchall()[0]
    keys = con.sql(read_sql("features/plan/30_keys.sql")).to_arrow_table()
    return LakeScan(start, end, ingested, [str(a) for a in addresses or []], keys)


def prepare(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """Build the shard/ tables (`calls` among them), then the gather/ tables."""
    for folder in ("shard", "gather"):
        for path in sql_files(f"features/{folder}"):
            _run(con, f"features/{folder}/{path.name}", params)


def gathered(con: duckdb.DuckDBPyConnection) -> Tables:
    """The gather/ tables of a prepared shard."""
    return _tables(con, "gather")


def build_peers(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> None:
    """Create the peers/ tables from the gather/ tables `con` holds (one shard's, or all)."""
    for path in sql_files("features/peers"):
        _run(con, f"features/peers/{path.name}", params)


def reduce_peers(parts: Iterable[Tables], params: dict[str, Any]) -> Tables:
    """The peers/ tables of the whole organisation, from every shard's gather/ tables."""
    by_name: dict[str, list[pa.Table]] = {}
    for part in parts:
        for name, table in part.items():
            by_name.setdefault(name, []).append(table)
    with open_memory() as con:
        for name, tables in by_name.items():
            con.register(name, pa.concat_tables(tables))
        build_peers(con, params)
        return _tables(con, "peers")


def run_families(
    con: duckdb.DuckDBPyConnection, params: dict[str, Any], peers: Tables | None = None
) -> pa.Table:
    """Every feature family for hours in [$window_start, $window_end), joined on `FAMILY_KEYS`
    (in DuckDB), keyed and ordered by `KEY_COLUMNS`; `peers` (when the peers/ tables were built
    elsewhere) are registered first."""
    for name, table in (peers or {}).items():
        con.register(name, table)
    merged: duckdb.DuckDBPyRelation | None = None
    for path in sql_files("features"):
        sql, name = read_sql(f"features/{path.name}"), f"family_{table_name(path)}"
        con.sql(sql, params=used(sql, params)).create(name)  # a relation binds one set of params
        family = con.table(name)
        merged = family if merged is None else merged.join(family, FAMILY_KEYS, how="left")
    assert merged is not None, "no feature files in sql/features"
    keys = con.table("keys").select("pid", "principal_key", "account_id")
    keyed = keys.join(merged, "pid").order("pid, window_start")  # pids are numbered in key order
    return _fill_nulls(keyed.select(duckdb.StarExpression(exclude=["pid"])).to_arrow_table())


def table_name(path: Path) -> str:
    """The temp table an intermediate file creates: its name without a leading `NN_`."""
    return re.sub(r"^\d+_", "", path.stem)


def used(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """Only the parameters `sql` refers to (DuckDB rejects unused named parameters)."""
    code = _COMMENT.sub("", sql)
    return {name: value for name, value in params.items() if f"${name}" in code}


def _run(con: duckdb.DuckDBPyConnection, relative: str, params: dict[str, Any]) -> None:
    sql = read_sql(relative)
    con.execute(sql, used(sql, params))


def _tables(con: duckdb.DuckDBPyConnection, folder: str) -> Tables:
    names = [table_name(path) for path in sql_files(f"features/{folder}")]
    return {name: con.table(name).to_arrow_table() for name in names}


def _fill_nulls(table: pa.Table) -> pa.Table:
    """Numeric feature columns as float64 with 0 for 'no row in that family' (e.g. no events)."""
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
