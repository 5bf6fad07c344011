"""Ingest state in the lake's DuckDB file: the object cursor, the quarantine, run summaries.

Each function takes an open connection (see `pipeline.lake.db.open_db`) and does one short thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from operator import attrgetter

import duckdb
import pyarrow as pa

from trailguard.pipeline.faults import crash_point
from trailguard.pipeline.lake.ledger import Ledger, write_ledger
from trailguard.pipeline.sqlfiles import read_sql
from trailguard.pipeline.transaction import transaction
from trailguard.pipeline.urls import object_uri


@dataclass(frozen=True)
class ObjectState:
    """One ingested object version and what became of its records."""

    source: str
    key: str
    version: str
    size: int
    records: int
    quarantined: int
    ingested_at: datetime


OBJECT_STATE = pa.schema(
    [
        ("source", pa.string()),
        ("key", pa.string()),
        ("version", pa.string()),
        ("size", pa.int64()),
        ("records", pa.int64()),
        ("quarantined", pa.int64()),
        ("ingested_at", pa.timestamp("us", "UTC")),
    ]
)


@dataclass(frozen=True)
class QuarantineEntry:
    """A record (record_index >= 0) or an object (-1) that could not be ingested."""

    source_key: str
    object_version: str
    record_index: int
    reason: str
    raw: str | None
    quarantined_at: datetime


@dataclass(frozen=True)
class RunSummary:
    """One ingest run, as kept in `ingest_runs`."""

    run_id: str
    source: str
    started_at: datetime
    finished_at: datetime
    objects: int
    records: int
    written: int
    duplicates: int
    quarantined: int
    failed_objects: int


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the state tables if they are missing."""
    con.execute(read_sql("lake/state.sql"))


def ingested_versions(
    con: duckdb.DuckDBPyConnection, source: str, keys: Sequence[str] | None = None
) -> dict[str, str]:
    """key -> version of the objects of `source` already in the lake, whichever source read them
    (of `keys` only, when given: a run looks its listing up a chunk at a time).

    One object is reached through several sources (`s3://b/` and `s3://b/AWSLogs/1/`, a folder
    and its subfolder), each keeping keys relative to itself: an object read through one is
    already ingested for the others. The source's own rows win over the others'.
    """
    base = _as_folder(source)
    versions: dict[str, str] = {}
    for other in _related_sources(con, source):
        versions.update(_versions_through(con, other, base, keys))
    return versions


def has_objects_of(con: duckdb.DuckDBPyConnection, source: str) -> bool:
    """True when the state holds objects `source` reaches (read through it or an overlapping
    source): False means none of its objects needs looking up."""
    return bool(_related_sources(con, source))


def _related_sources(con: duckdb.DuckDBPyConnection, source: str) -> list[str]:
    """Sources in the state whose objects `source` also reaches (or reach it), its own last."""
    base = _as_folder(source)
    rows = con.execute("SELECT DISTINCT source FROM ingest_state").fetchall()
    related = [
        s for (s,) in rows if _as_folder(s).startswith(base) or base.startswith(_as_folder(s))
    ]
    return sorted(related, key=lambda other: (other == source, other))


def _versions_through(
    con: duckdb.DuckDBPyConnection, other: str, base: str, keys: Sequence[str] | None
) -> dict[str, str]:
    """key (relative to `base`) -> version, of the objects `other` recorded."""
    folder = _as_folder(other)
    if keys is None:
        rows = con.execute(
            "SELECT key, version FROM ingest_state WHERE source = $other", {"other": other}
        ).fetchall()
        uris = ((folder + key, version) for key, version in rows)
        return {uri[len(base) :]: version for uri, version in uris if uri.startswith(base)}
    # Our key k is `other`'s key (base + k)[len(folder):], when base + k lies under its folder.
    theirs = {(base + k)[len(folder) :]: k for k in keys if (base + k).startswith(folder)}
    if not theirs:
        return {}
    wanted = pa.table({"key": pa.array(list(theirs), pa.string())})
    con.register("wanted_keys", wanted)
    try:
        rows = con.execute(
            "SELECT s.key, s.version FROM ingest_state s JOIN wanted_keys w ON s.key = w.key"
            " WHERE s.source = $other AND s.key BETWEEN $low AND $high",
            {"other": other, "low": min(theirs), "high": max(theirs)},
        ).fetchall()
    finally:
        con.unregister("wanted_keys")
    return {theirs[key]: version for key, version in rows}


def _as_folder(source: str) -> str:
    """`s3://b/p/` stays; `file:///d` becomes `file:///d/` (a source name, then a key, is a URI)."""
    return source if source.endswith("/") else source + "/"


def object_states(objects: Sequence[ObjectState]) -> pa.Table:
    """Object states as a table of `ingest_state`'s columns, made where the objects were read:
    a table crosses to the writer's process, and into DuckDB, at once rather than row by row."""
    return _as_arrow(objects, OBJECT_STATE)


def record_objects(
    con: duckdb.DuckDBPyConnection,
    objects: pa.Table,
    quarantined: Sequence[QuarantineEntry],
    ledger: Ledger | None = None,
) -> None:
    """Commit ingested objects (`object_states`), their quarantined records and the ledger of
    the partitions their events went to (`pipeline.lake.ledger`) in one transaction."""
    # Thousands of objects per batch: insert them as one Arrow table, not row by row.
    with transaction(con):
        if quarantined:
            con.register("new_quarantine", _as_arrow(quarantined))
            con.execute("INSERT OR REPLACE INTO quarantine SELECT * FROM new_quarantine")
            con.unregister("new_quarantine")
        if objects.num_rows:
            con.register("new_objects", objects)
            con.execute("INSERT OR REPLACE INTO ingest_state SELECT * FROM new_objects")
            con.unregister("new_objects")
        if ledger is not None:
            write_ledger(con, ledger)
        crash_point("state_commit")  # rows inserted, transaction not committed


def _as_arrow(
    rows: Sequence[ObjectState] | Sequence[QuarantineEntry], schema: pa.Schema | None = None
) -> pa.Table:
    """Dataclass rows as a table: of `schema` when given (its names are the fields), else of
    the fields' inferred types."""
    if schema is not None and not rows:
        return schema.empty_table()
    names = schema.names if schema is not None else [f.name for f in fields(rows[0])]
    columns = zip(*map(attrgetter(*names), rows), strict=True)  # one pass over the rows
    table = pa.table({name: list(values) for name, values in zip(names, columns, strict=True)})
    return table if schema is None else table.cast(schema)


def record_run(con: duckdb.DuckDBPyConnection, run: RunSummary) -> None:
    """Keep a run's summary."""
    con.execute("INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", astuple(run))


def forget_objects(con: duckdb.DuckDBPyConnection, uris: Iterable[str]) -> pa.Table:
    """Remove the state of the objects whose URI (`pipeline.urls.object_uri`) is in `uris`, so
    that the next ingest of their source reads them again (`trailguard check --repair`);
    returns the removed rows, for `remember_objects` should that ingest fail."""
    wanted = set(uris)
    rows = con.table("ingest_state").to_arrow_table()
    if not wanted or not rows.num_rows:
        return OBJECT_STATE.empty_table()
    pairs = zip(rows["source"].to_pylist(), rows["key"].to_pylist(), strict=True)
    keep = pa.array([object_uri(source, key) in wanted for source, key in pairs])
    removed = rows.filter(keep).cast(OBJECT_STATE)
    if removed.num_rows:
        con.register("forgotten_objects", removed.select(["source", "key"]))
        con.execute(
            "DELETE FROM ingest_state s USING forgotten_objects f"
            " WHERE s.source = f.source AND s.key = f.key"
        )
        con.unregister("forgotten_objects")
    return removed


def remember_objects(con: duckdb.DuckDBPyConnection, rows: pa.Table) -> None:
    """Put back state rows `forget_objects` removed (their source could not be read again)."""
    if rows.num_rows:
        con.register("remembered_objects", rows)
        con.execute("INSERT OR REPLACE INTO ingest_state SELECT * FROM remembered_objects")
        con.unregister("remembered_objects")
