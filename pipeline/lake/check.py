"""`trailguard check`: the lake's Parquet files held to the ledger and the objects' state.

A lake can lose events without any run noticing: a partition folder deleted by hand, a file cut
short by a full disk or a bad copy. Ingest would call its objects "already ingested" and
detection would run on what is left. `inspect_lake` reads every file of the lake (its footer, and
every page unless `quick`) and compares:

- each partition the ledger (`pipeline.lake.ledger`) recorded events for: is its folder there,
  can each of its files be read, does it hold at least the events written to it?
- each object of the state recorded before the ledger existed: is any of its events left?

What is damaged names the objects to read again (the ledger's objects of each damaged
partition); `set_aside` moves unreadable files out of the lake (to `damaged/`, kept for a look),
and `pipeline.repair` reads the objects again from their source. What a check finds (`LakeCheck`)
and how damage is told (`LakeDamaged`, `damage_advice`) are in `pipeline.lake.damage`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trailguard.pipeline.lake.damage import FileCheck, LakeCheck, LakeDamaged, PartitionCheck
from trailguard.pipeline.lake.layout import EVENTS_DIR, Partition, partition_files
from trailguard.pipeline.lake.ledger import (
    has_ledger,
    objects_in,
    record_counts,
    record_objects_of,
    recorded_rows,
)
from trailguard.pipeline.transaction import transaction
from trailguard.pipeline.urls import object_uri

DAMAGED_DIR = "damaged"  # in the lake: unreadable files and damaged databases, moved aside
_PARTITION = re.compile(r"^event_date=(?P<day>[^/]+)/account_id=(?P<account>[^/]+)$")
_BATCH_ROWS = 64 * 1024
_TABLES_SQL = "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()"


def inspect_lake(lake: Path, con: duckdb.DuckDBPyConnection, *, quick: bool = False) -> LakeCheck:
    """Compare the lake's files with the ledger and the state (see the module docstring);
    `quick` reads each file's footer and its `source_key` column, not every page."""
    found = {part: [check_file(f, quick=quick) for f in files] for part, files in scan(lake)}
    recorded = recorded_rows(con)
    partitions = [
        PartitionCheck(part, tuple(found.get(part, ())), recorded.get(part, 0))
        for part in sorted(set(found) | set(recorded), key=_order)
    ]
    check = LakeCheck(lake, partitions, tables=unreadable_tables(con))
    damaged = [p.partition for p in check.damaged]
    for uri, parts in objects_in(con, damaged).items():
        check.reread[uri] = f"its events in {_names(parts)}"
    _check_unledgered(con, check)
    return check


def scan(lake: Path) -> list[tuple[Partition, list[Path]]]:
    """Every partition folder of the lake with its committed Parquet files."""
    events = lake / EVENTS_DIR
    found = []
    for folder in sorted(events.glob("event_date=*/account_id=*")):
        match = _PARTITION.match(folder.relative_to(events).as_posix())
        if match and folder.is_dir():
            part = Partition(match["day"], match["account"])
            found.append((part, partition_files(folder)))
    return found


def check_file(path: Path, *, quick: bool = False) -> FileCheck:
    """Read a Parquet file (its footer and `source_key`, or every page); never raises."""
    try:
        parquet = pq.ParquetFile(path)
        sources: set[str] = set()
        columns = ["source_key"] if quick else None
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS, columns=columns):
            sources.update(s for s in pc.unique(batch.column("source_key")).to_pylist() if s)
        return FileCheck(path, parquet.metadata.num_rows, frozenset(sources))
    except (OSError, pa.ArrowException, KeyError) as exc:  # cut short, corrupt, not ours
        return FileCheck(path, 0, error=one_line(exc))


def _check_unledgered(con: duckdb.DuckDBPyConnection, check: LakeCheck) -> None:
    """Objects of the state with events but no ledger entry (ingested before the ledger):
    where their events are now, and which have none left."""
    if not _has_table(con, "ingest_state"):
        return
    rows = con.execute(
        "SELECT source, key FROM ingest_state WHERE records > quarantined"
    ).fetchall()
    check.objects = len(rows)
    ledgered = set()
    if has_ledger(con):
        found = con.execute("SELECT DISTINCT source_key FROM partition_objects").fetchall()
        ledgered = {str(uri) for (uri,) in found}
    unledgered = {object_uri(source, key) for source, key in rows} - ledgered
    if not unledgered:
        return
    damaged = {p.partition for p in check.damaged}
    seen: set[str] = set()
    for part in check.partitions:
        for f in part.files:
            for uri in f.sources & unledgered:
                seen.add(uri)
                check.unledgered.add((part.partition, uri))
                if part.partition in damaged:
                    check.reread.setdefault(uri, f"its events in {part.folder}")
    for uri in sorted(unledgered - seen):
        check.reread.setdefault(uri, "none of its events is in the lake")


def unreadable_tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """Tables of the database that cannot be read to the end (DuckDB checksums every block it
    reads), with why."""
    names = [str(n) for (n,) in con.execute(_TABLES_SQL).fetchall()]
    broken = {}
    for name in names:
        try:
            for _ in con.table(name).to_arrow_reader(_BATCH_ROWS):
                pass
        except duckdb.Error as exc:
            broken[name] = one_line(exc)
    return broken


def set_aside(lake: Path, files: Iterable[Path], now: datetime | None = None) -> Path | None:
    """Move `files` out of the lake into `damaged/<time>/`, keeping their paths; the folder,
    or None when there was nothing to move."""
    files = list(files)
    if not files:
        return None
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    target = lake / DAMAGED_DIR / stamp
    for path in files:
        moved = target / path.relative_to(lake)
        moved.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, moved)
    return target


def record_sound(con: duckdb.DuckDBPyConnection, check: LakeCheck) -> None:
    """Take a sound lake's files as the ledger from now on: every partition's events as
    counted, and the partitions of objects ingested before the ledger existed."""
    if not check.sound:
        raise LakeDamaged("only a sound lake's files can be recorded in the ledger")
    with transaction(con):
        record_counts(con, {p.partition: p.rows for p in check.partitions if p.files})
        record_objects_of(con, check.unledgered)


def missing_partitions(lake: Path, con: duckdb.DuckDBPyConnection) -> list[str]:
    """Folders of partitions the ledger recorded events for that hold no file now: the quick
    look a command takes before it reads the lake (`trailguard check` looks closer)."""
    present = {part for part, files in scan(lake) if files}
    return [
        f"{EVENTS_DIR}/event_date={p.event_date}/account_id={p.account_id}"
        for p, rows in sorted(recorded_rows(con).items(), key=lambda item: _order(item[0]))
        if rows and p not in present
    ]


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name"
        " AND database_name = current_database()",
        {"name": name},
    ).fetchall()
    return bool(rows[0][0])


def _order(part: Partition) -> tuple[str, str]:
    return part.event_date, part.account_id


def _names(parts: Iterable[Partition]) -> str:
    names = sorted(f"event_date={p.event_date}/account_id={p.account_id}" for p in parts)
    return ", ".join(names[:2]) + (f" and {len(names) - 2} more" if len(names) > 2 else "")


def one_line(error: BaseException) -> str:
    """An error as one short line: its first line (at most 200 characters), or its type."""
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]
