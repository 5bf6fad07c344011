"""A damaged `trailguard.duckdb`: recognising it, keeping a copy of what cannot be rebuilt, and
salvaging what can still be read.

The database holds two kinds of table. Some are rebuilt from the source and the lake: the
objects' state and quarantine (by reading the source again: its events are already in the
lake, so nothing is written twice), the ledger, the features. Others exist nowhere else: the
findings (with their status and versions), the export cursors (what each destination has
received) and the run history. `write_backup` copies those to `backup/trailguard.duckdb`
(`trailguard check` on a sound lake, every `run`, `detect`, `archive`, `unarchive` and `export`,
and the detect and export flows), and `salvage` reads each group of tables from the damaged file
where DuckDB can still read it (every page it reads is checksummed), or else from that copy.
Tables are read and written through DuckDB's relational API: no table name is spliced into SQL.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from trailguard.pipeline.lake.check import DAMAGED_DIR, one_line
from trailguard.pipeline.lake.db import DB_NAME, STORAGE_VERSION, db_path, open_db
from trailguard.pipeline.lake.lock import holds_backup_lock
from trailguard.pipeline.sqlfiles import read_sql
from trailguard.pipeline.transaction import transaction

BACKUP = Path("backup") / DB_NAME  # in the lake
# Tables salvaged together (a group is taken whole from one file, or not at all).
GROUPS: dict[str, tuple[str, ...]] = {
    "findings": ("findings", "finding_actions"),  # and who archived them, why
    "export cursors": ("export_cursors", "export_rejects"),
    "run history": ("ingest_runs",),
    "ingest state": ("ingest_state", "quarantine", "partition_objects", "partition_rows"),
}
BACKED_UP = ("findings", "export cursors", "run history")  # what exists nowhere else
SCHEMAS = ("lake/state.sql", "findings/schema.sql", "exporters/schema.sql")
# DuckDB's words for a database file it cannot use (not one another process holds).
_CORRUPT = (
    "not a valid duckdb database file",
    "corrupt database file",
    "could not read enough bytes",
    "checksum",
    "failed to deserialize",
    "serialization error",
    "database file is damaged",
)


class DatabaseDamaged(RuntimeError):
    """The lake's database file cannot be read."""


def is_damaged_db(error: BaseException) -> bool:
    """Whether a DuckDB error says the database file itself is damaged."""
    text = str(error).lower()
    return isinstance(error, duckdb.Error) and any(sign in text for sign in _CORRUPT)


def damaged_db_message(lake: Path, error: BaseException) -> str:
    """The one line that reports a damaged database and how to recover."""
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return (
        f"the lake's database {db_path(lake)} is damaged ({reason[:160]}); recover with "
        f"`trailguard check --rebuild-db --lake {lake}` (docs/reliability.md, 'A damaged database')"
    )


@dataclass
class Salvage:
    """Tables read from a damaged database (or the backup), and where each group came from."""

    tables: dict[str, pa.Table] = field(default_factory=dict)
    origin: dict[str, str] = field(default_factory=dict)  # group -> "damaged file" / "backup"
    errors: dict[str, str] = field(default_factory=dict)  # group -> why it could not be read

    def has(self, group: str) -> bool:
        """Whether the group was salvaged."""
        return group in self.origin


def salvage(damaged: Path, backup: Path | None) -> Salvage:
    """Each group of `GROUPS` read whole from `damaged`, else from `backup` (for `BACKED_UP`)."""
    found = Salvage()
    for origin, path, groups in (
        ("damaged file", damaged, tuple(GROUPS)),
        ("backup", backup, BACKED_UP),
    ):
        if path is None or not path.exists():
            continue
        wanted = [g for g in groups if not found.has(g)]
        for group, result in read_groups(path, wanted).items():
            if isinstance(result, str):
                found.errors.setdefault(group, result)
            else:
                found.tables.update(result)
                found.origin[group] = origin
                found.errors.pop(group, None)
    return found


def read_groups(path: Path, groups: list[str]) -> dict[str, dict[str, pa.Table] | str]:
    """Each group's tables read from the database at `path` (every page: a damaged one raises),
    or why they could not be."""
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error as exc:
        return dict.fromkeys(groups, one_line(exc))
    try:
        existing = _table_names(con)
        results: dict[str, dict[str, pa.Table] | str] = {}
        for group in groups:
            try:
                results[group] = {
                    table: con.table(table).to_arrow_table()
                    for table in GROUPS[group]
                    if table in existing
                }
            except duckdb.Error as exc:
                results[group] = one_line(exc)
        return results
    finally:
        con.close()


def move_aside(lake: Path, now: datetime | None = None) -> Path:
    """Move the database file (and its write-ahead log) to `damaged/<time>/`; the new path."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = lake / DAMAGED_DIR / stamp
    target.mkdir(parents=True, exist_ok=True)
    path = db_path(lake)
    for name in (DB_NAME, DB_NAME + ".wal"):
        if (lake / name).exists():
            os.replace(lake / name, target / name)
    return target / path.name


def _insert_by_name(con: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> None:
    """Insert salvaged rows by column name. A column added to the schema since the rows were
    written (a lake older than it) takes its default or NULL; a salvaged copy that lacks a
    column that must have a value is damaged."""
    target = con.table(name).columns
    rows = table.select([c for c in table.column_names if c in target])
    con.register("salvaged", rows)
    try:
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM salvaged')  # noqa: S608 (GROUPS' names)
    except duckdb.ConstraintException as exc:
        raise DatabaseDamaged(f"salvaged {name} lacks columns of today's schema: {exc}") from exc
    finally:
        con.unregister("salvaged")


def restore(lake: Path, found: Salvage) -> None:
    """Create a new database for the lake with every table's schema, then the salvaged rows;
    the findings' revision counter starts past every salvaged revision and cursor, so that no
    new change hides behind an export cursor."""
    with open_db(lake) as con:
        for script in SCHEMAS:
            con.execute(read_sql(script))
        with transaction(con):
            for name, table in found.tables.items():
                _insert_by_name(con, name, table)
        latest = con.execute(
            "SELECT greatest((SELECT max(revision) FROM findings),"
            " (SELECT max(revision) FROM export_cursors), 0)"
        ).fetchall()[0][0]
        start = int(latest) + 1
        con.execute(f"CREATE OR REPLACE SEQUENCE finding_revision START WITH {start}")


@holds_backup_lock  # an export (no lake lock) may finish beside a detection run
def write_backup(lake: Path) -> Path:
    """Copy the tables that exist nowhere else (`BACKED_UP`) to `backup/trailguard.duckdb`,
    replacing the last copy at once (written beside it, then renamed)."""
    target = lake / BACKUP
    target.parent.mkdir(mode=0o700, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.unlink(missing_ok=True)
    with open_db(lake, read_only=True) as con:
        existing = _table_names(con)
        tables = {
            name: con.table(name).to_arrow_table()
            for group in BACKED_UP
            for name in GROUPS[group]
            if name in existing
        }
    copy = duckdb.connect(str(tmp), config={"storage_compatibility_version": STORAGE_VERSION})
    try:
        for name, table in tables.items():
            copy.from_arrow(table).create(name)
    finally:
        copy.close()
    os.chmod(tmp, 0o600)
    os.replace(tmp, target)
    return target


def backup_path(lake: Path) -> Path | None:
    """The last copy `write_backup` made, if any."""
    path = lake / BACKUP
    return path if path.exists() else None


def _table_names(con: duckdb.DuckDBPyConnection) -> set[str]:
    rows = con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
    return {str(name) for (name,) in rows}
