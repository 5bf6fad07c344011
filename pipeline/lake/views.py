"""The `events` view over the lake's Parquet, and the in-memory DuckDB that reads through it.

Every query over the events goes through the view (`sql/views/events.sql`, with the macros of
`sql/views/macros.sql` beside it). Features, detection and the report read the lake from an
in-memory DuckDB opened by `open_lake_reader`; ingest keeps the view in the lake's own database
too (`refresh_views`), for `trailguard query` and a `duckdb` shell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from hashlib import sha256
from pathlib import Path

import duckdb

from trailguard.pipeline.lake.db import sql_literal
from trailguard.pipeline.lake.layout import EVENTS_DIR, events_globs
from trailguard.pipeline.lake.schema import SCHEMA
from trailguard.pipeline.sqlfiles import read_sql


class LakeEmpty(ValueError):
    """The lake holds no events yet: there is nothing to read."""


def has_events(lake: Path) -> bool:
    """Whether the lake holds any events (a Parquet file in a partition)."""
    return any((lake.resolve() / EVENTS_DIR).glob("event_date=*/account_id=*/*.parquet"))


def open_memory() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose timestamps come back in UTC, as the lake's database's do."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


@contextmanager
def open_lake_reader(
    lake: Path, *, accounts: Iterable[str] | None = None, metadata_cache: bool = True
) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB with the `events` view over the lake (only `accounts`' partitions
    when given) and its macros, closed on exit; raises `LakeEmpty` while the lake has no events.

    With `metadata_cache`, each Parquet footer is read once, not by every query that binds the
    view (thousands of files at 10M events): for a run that holds the lake's lock, so that the
    files cannot change under it.
    """
    connection = open_memory()
    try:
        if metadata_cache:
            connection.execute("SET parquet_metadata_cache = true")
        if not create_views(connection, lake, accounts):
            raise LakeEmpty(f"the lake {lake} holds no events: run `trailguard ingest` first")
        yield connection
    finally:
        connection.close()


def create_views(
    con: duckdb.DuckDBPyConnection,
    lake: Path,
    accounts: Iterable[str] | None = None,
    *,
    relative: bool = False,
) -> bool:
    """(Re)create the `events` view over the lake's Parquet (only `accounts`' partitions when
    given) and the `ua_family` macro; False while the lake has no events. A `relative` view
    names its files relative to the lake, for the lake's own database (see `refresh_views`)."""
    if not has_events(lake):
        return False
    for statement in _view_statements(lake, accounts, relative=relative):
        con.execute(statement)
    return True


def refresh_views(con: duckdb.DuckDBPyConnection, lake: Path) -> bool:
    """`create_views` in the lake's own database, unless it holds them already as they would be
    created now; False while the lake has no events.

    Creating the view binds it, which reads the schema of every Parquet file of the lake: a run
    every few minutes over a lake of many files need not pay that each time. The view's
    comment is a digest of its definition (its statements and the lake's schema).

    This view names its files relative to the lake: a copied, moved or restored lake reads its
    own files, never the original's. DuckDB resolves them against `file_search_path`, which
    trailguard's connections set to the lake's folder; a `duckdb` shell opened in the lake's
    folder resolves them too (README: querying the lake).
    """
    digest = _views_digest(lake)
    current = con.execute(read_sql("lake/events_view_comment.sql")).fetchone()
    if current is not None and current[0] == digest:
        return True
    if not create_views(con, lake, relative=True):
        return False
    con.execute(f"COMMENT ON VIEW events IS {sql_literal(digest)}")
    return True


def shadow_events_view(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    """A temporary `events` view over the lake's files by their absolute paths, in front of the
    database's own (relative) one: for a connection that may reach no file outside the lake's
    events folder, which DuckDB judges by the path as written, before `file_search_path`."""
    if has_events(lake):
        con.execute(_events_view(lake, None, temporary=True))


def _view_statements(
    lake: Path, accounts: Iterable[str] | None, *, relative: bool = False
) -> list[str]:
    return [_events_view(lake, accounts, relative=relative), read_sql("views/macros.sql")]


def _events_view(
    lake: Path, accounts: Iterable[str] | None, *, relative: bool = False, temporary: bool = False
) -> str:
    """The `events` view's statement: sql/views/events.sql with its `{view}` and `{events_glob}`
    fields filled (`str.format`; the file's header says what each holds)."""
    globs = [sql_literal(glob) for glob in events_globs(lake, accounts, relative=relative)]
    files = globs[0] if accounts is None else "[" + ", ".join(globs) + "]"
    view = "TEMP VIEW" if temporary else "VIEW"
    return read_sql("views/events.sql").format(view=view, events_glob=files)


def _views_digest(lake: Path) -> str:
    definition = "\n".join([*_view_statements(lake, None, relative=True), SCHEMA.to_string()])
    return sha256(definition.encode()).hexdigest()
