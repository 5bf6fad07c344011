"""`trailguard query`'s connection: it reads the lake and nothing else, and writes nothing.

Opening the database read-only protects only the database: DuckDB would still run
`COPY (...) TO '/any/file'`, `ATTACH` another database, `INSTALL` an extension from the network
or read any file the user can (`read_csv('/etc/passwd')`). Two locks, each enough for most:

1. Only SELECT statements run (`refuse_writes`, from DuckDB's own parse of the text): no COPY,
   ATTACH, INSTALL/LOAD, EXPORT, SET, PRAGMA, CALL, CREATE... (WITH, DESCRIBE, SHOW and
   SUMMARIZE are SELECTs.)
2. The connection reaches no file but the lake's events (`lock_down`): `allowed_directories` is
   the lake's `events/` folder, `enable_external_access` is off (no other file, no URL, no
   extension), extensions are neither installed nor loaded on demand, and `lock_configuration`
   refuses any `SET` that would undo it.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from trailguard.pipeline.lake.layout import EVENTS_DIR
from trailguard.pipeline.lake.views import shadow_events_view

ALLOWED = frozenset(["SELECT"])
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_WORD = re.compile(r"[A-Za-z]+")


class QueryRefused(ValueError):
    """The SQL given to `trailguard query` would do more than read."""


def lock_down(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """Restrict `con` to reading the lake's own Parquet files (module docstring, point 2)."""
    events = str(lake.resolve() / EVENTS_DIR) + "/"
    shadow_events_view(con, lake)
    con.execute("SET allowed_directories = $folders", {"folders": [events]})
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def refuse_writes(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """Raise `QueryRefused` unless every statement of `sql` is a SELECT (point 1)."""
    for statement in con.extract_statements(sql):
        if statement.type.name not in ALLOWED:
            raise QueryRefused(
                f"`trailguard query` is read-only: it runs SELECT statements only, "
                f"not {_verb(statement.query) or statement.type.name}"
            )


def _verb(sql: str) -> str | None:
    """The statement's first word (COPY, ATTACH, INSTALL...), past any comment."""
    word = _WORD.search(_COMMENTS.sub(" ", sql))
    return word.group().upper() if word else None
