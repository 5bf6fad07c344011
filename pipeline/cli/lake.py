"""`trailguard query` and `trailguard compact`: the lake itself, read with SQL (read-only, within
the lake's own files: `pipeline.lake.sandbox`) or its small Parquet files merged."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import duckdb

from trailguard.pipeline.cli.args import add_lake_arg, reads_lake
from trailguard.pipeline.cli.errors import safe_line
from trailguard.pipeline.lake.damage import parquet_error
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.sandbox import lock_down, refuse_writes
from trailguard.pipeline.report.output import print_rows

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_lake_commands(sub: Sub) -> None:
    """Register `query` and `compact` on the `trailguard` parser."""
    _add_query(sub)
    _add_compact(sub)


def _add_query(sub: Sub) -> None:
    p = sub.add_parser("query", help="run SQL on the lake (read-only)")
    p.add_argument("sql", help='e.g. "select event_name, count(*) from events group by 1"')
    add_lake_arg(p)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind parameter, used in the SQL as $NAME (repeatable)",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (default), csv (formula cells prefixed with ') or json (one object a line)",
    )
    p.set_defaults(command=cmd_query)


@reads_lake
def cmd_query(args: argparse.Namespace) -> int:
    """`trailguard query`: SELECTs only, over the lake's own files (`pipeline.lake.sandbox`);
    values reach SQL only as bind parameters."""
    params = dict(_split_param(p) for p in args.param)
    with open_db(args.lake, read_only=True) as con:
        lock_down(con, args.lake)
        try:
            refuse_writes(con, args.sql)
            cursor = con.execute(args.sql, params or None)
        except duckdb.CatalogException as exc:
            if "Table with name events does not exist" in str(exc):
                raise ValueError(
                    f"the lake {args.lake} holds no events yet: run `trailguard ingest` first"
                ) from None
            raise ValueError(f"query failed: {safe_line(str(exc))}") from None
        except duckdb.Error as exc:  # the user's SQL: its message, not a traceback
            if parquet_error(exc):
                raise  # the lake, not the SQL: said as a damaged lake (exit 65)
            raise ValueError(f"query failed: {safe_line(str(exc))}") from None
        columns = [d[0] for d in cursor.description or []]
        print_rows(columns, cursor.fetchall(), args.format)
    return 0


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise ValueError(f"--param takes NAME=VALUE, got {text!r}")
    return name, value


def _add_compact(sub: Sub) -> None:
    p = sub.add_parser("compact", help="merge small Parquet files of the lake")
    add_lake_arg(p)
    p.set_defaults(command=cmd_compact)


@reads_lake
def cmd_compact(args: argparse.Namespace) -> int:
    """`trailguard compact`."""
    from trailguard.pipeline.lake.compact import compact, init_lake

    init_lake(args.lake)
    print(f"merged {compact(args.lake)} files")
    return 0
