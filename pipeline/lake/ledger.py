"""The ledger: which objects' events each partition holds, and how many events at least.

A writer adds each write's `WriteStats` to a `Ledger` and commits it with its objects' state,
in the same transaction (`pipeline.ingest.state.record_objects`), so the two never disagree.
`trailguard check` (`pipeline.lake.check`) holds the lake's files to it: a partition folder that
is gone, or holds fewer events than were written to it, names the objects to read again.

Two tables of `sql/lake/state.sql`: `partition_objects` (partition, object URI) and
`partition_rows` (partition, events written). Both only grow: a repaired partition's rows are
set again from its files once it is sound (`record_counts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from trailguard.pipeline.lake.layout import Partition
from trailguard.pipeline.lake.write import WriteStats

OBJECTS = pa.schema(
    [("event_date", pa.string()), ("account_id", pa.string()), ("source_key", pa.string())]
)
ROWS = pa.schema([("event_date", pa.string()), ("account_id", pa.string()), ("rows", pa.int64())])


@dataclass
class Ledger:
    """What a writer put in which partitions since its last commit."""

    rows: dict[Partition, int] = field(default_factory=dict)
    objects: set[tuple[Partition, str]] = field(default_factory=set)

    def add(self, stats: WriteStats) -> None:
        """Count one write (`lake.write.write_encoded`'s stats)."""
        for part, count in stats.rows.items():
            self.rows[part] = self.rows.get(part, 0) + count
        for part, sources in stats.sources.items():
            self.objects.update((part, source) for source in sources)


def has_ledger(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake's database has the ledger's tables (a lake written before they existed
    gains them with its next ingest or check)."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'partition_rows'"
        " AND database_name = current_database()"
    ).fetchall()
    return bool(rows[0][0])


def write_ledger(con: duckdb.DuckDBPyConnection, ledger: Ledger) -> None:
    """Add a writer's ledger to the tables (inside the caller's transaction)."""
    if ledger.objects:
        con.register("new_partition_objects", objects_table(ledger.objects))
        con.execute("INSERT OR IGNORE INTO partition_objects SELECT * FROM new_partition_objects")
        con.unregister("new_partition_objects")
    if ledger.rows:
        con.register("new_partition_rows", rows_table(ledger.rows))
        con.execute(
            "INSERT INTO partition_rows SELECT * FROM new_partition_rows"
            " ON CONFLICT (event_date, account_id) DO UPDATE"
            " SET rows = partition_rows.rows + excluded.rows"
        )
        con.unregister("new_partition_rows")


def record_counts(con: duckdb.DuckDBPyConnection, counts: Mapping[Partition, int]) -> None:
    """Set partitions' event counts to what their files hold now (a sound lake's, after a
    check: rows a crashed run wrote before committing them, or written before the ledger
    existed, count from now on)."""
    if counts:
        con.register("counted_rows", rows_table(counts))
        con.execute("INSERT OR REPLACE INTO partition_rows SELECT * FROM counted_rows")
        con.unregister("counted_rows")


def record_objects_of(
    con: duckdb.DuckDBPyConnection, pairs: Iterable[tuple[Partition, str]]
) -> None:
    """Add (partition, object URI) pairs found in the files to `partition_objects`."""
    table = objects_table(pairs)
    if table.num_rows:
        con.register("found_partition_objects", table)
        con.execute("INSERT OR IGNORE INTO partition_objects SELECT * FROM found_partition_objects")
        con.unregister("found_partition_objects")


def recorded_rows(con: duckdb.DuckDBPyConnection) -> dict[Partition, int]:
    """Partition -> events written to it, as the ledger has them (empty without a ledger)."""
    if not has_ledger(con):
        return {}
    rows = con.execute("SELECT event_date, account_id, rows FROM partition_rows").fetchall()
    return {Partition(day, account): count for day, account, count in rows}


def objects_in(
    con: duckdb.DuckDBPyConnection, parts: Iterable[Partition]
) -> dict[str, set[Partition]]:
    """Object URI -> the given partitions it has events in, as the ledger has them."""
    wanted = pa.Table.from_pylist(
        [{"event_date": p.event_date, "account_id": p.account_id} for p in parts],
        schema=pa.schema([("event_date", pa.string()), ("account_id", pa.string())]),
    )
    if not wanted.num_rows or not has_ledger(con):
        return {}
    con.register("wanted_partitions", wanted)
    try:
        rows = con.execute(
            "SELECT o.source_key, o.event_date, o.account_id FROM partition_objects o"
            " JOIN wanted_partitions w USING (event_date, account_id)"
        ).fetchall()
    finally:
        con.unregister("wanted_partitions")
    found: dict[str, set[Partition]] = {}
    for uri, day, account in rows:
        found.setdefault(uri, set()).add(Partition(day, account))
    return found


def forget_partitions(con: duckdb.DuckDBPyConnection, parts: Iterable[Partition]) -> None:
    """Drop partitions' counts (their files are counted again once they are repaired)."""
    table = rows_table({p: 0 for p in parts})
    if table.num_rows and has_ledger(con):
        con.register("forgotten_partitions", table)
        con.execute(
            "DELETE FROM partition_rows p USING forgotten_partitions f"
            " WHERE p.event_date = f.event_date AND p.account_id = f.account_id"
        )
        con.unregister("forgotten_partitions")


def objects_table(pairs: Iterable[tuple[Partition, str]]) -> pa.Table:
    """(partition, URI) pairs as a `partition_objects` table."""
    rows = sorted({(p.event_date, p.account_id, uri) for p, uri in pairs})
    columns = list(zip(*rows, strict=True)) if rows else [(), (), ()]
    return pa.table(dict(zip(OBJECTS.names, map(list, columns), strict=True)), schema=OBJECTS)


def rows_table(counts: Mapping[Partition, int]) -> pa.Table:
    """Partition -> count as a `partition_rows` table."""
    items = sorted(counts.items(), key=lambda item: (item[0].event_date, item[0].account_id))
    return pa.table(
        {
            "event_date": [p.event_date for p, _ in items],
            "account_id": [p.account_id for p, _ in items],
            "rows": [n for _, n in items],
        },
        schema=ROWS,
    )
