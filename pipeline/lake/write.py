"""Appending a batch's rows to the lake: each event_id written once (`pipeline.lake.dedup`).

Rows arrive encoded (`pipeline.lake.encode`, in the worker that read them); the writer checks
their ids and writes each partition's file (`pipeline.lake.atomic`), rewritten without the rows
that were repeats when there are some.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.lake.atomic import write_part
from trailguard.pipeline.lake.dedup import (
    IdCache,
    IdWindow,
    Repeats,
    first_of_each_id,
    split_repeats,
)
from trailguard.pipeline.lake.encode import INTERNAL_COLUMNS, EncodedEvents, encode_events
from trailguard.pipeline.lake.layout import Partition
from trailguard.pipeline.lake.parquet import from_parquet, to_parquet


@dataclass
class WriteStats(Repeats):
    """What one write did. `collisions` are rows whose event_id is taken by a different event."""

    written: int = 0
    files: int = 0
    # Folders this write wrote to or deduplicated against: the ones a compaction should look at
    # (a rerun after a crash visits what the crashed run left, and tidies it).
    partitions: set[Path] = field(default_factory=set)
    # For the ledger (`pipeline.lake.ledger`): rows written to each partition, and the objects
    # whose events belong there (written now or found there already).
    rows: dict[Partition, int] = field(default_factory=dict)
    sources: dict[Partition, set[str]] = field(default_factory=dict)


def write_events(lake: Path, table: pa.Table, seen: IdCache) -> WriteStats:
    """Append rows to their partitions; each event_id is written once.

    `table` has the lake schema plus the `INTERNAL_COLUMNS` (`_account` from
    `partition_accounts`). A repeated id with the same fingerprint (time, source, name) is a
    re-delivery and is dropped; with another fingerprint it is a collision (hand-made exports
    reuse ids such as "1") and is returned in `collisions` for quarantine, never overwritten.
    """
    return write_encoded(lake, encode_events(table), seen, IdWindow())


def write_encoded(lake: Path, events: EncodedEvents, seen: IdCache, window: IdWindow) -> WriteStats:
    """`write_events` for rows `encode_events` prepared: the id checks, then the files.

    `window` holds the ids this writer met since it last committed state: an id seen there is
    a repeat, whatever partition it went to, as it would be in one `write_events` call.
    """
    stats = WriteStats()
    ids = window.drop_repeats(events.ids, stats)
    ids = first_of_each_id(ids, stats)
    window.add(ids)
    for number, piece in enumerate(events.slices):
        folder = piece.partition.path(lake)
        stats.partitions.add(folder)
        stats.sources.setdefault(piece.partition, set()).update(piece.sources)
        rows = ids.filter(pc.equal(ids["_slice"], number))
        known = seen.ids(lake, piece.partition)
        taken = pc.is_in(rows["event_id"], known.column("event_id"))
        fresh = rows
        if pc.any(taken).as_py():
            fresh = rows.filter(pc.invert(taken))
            split_repeats(rows.filter(taken), known, stats)
        if fresh.num_rows == piece.rows:
            write_part(folder, piece.parquet)
        elif fresh.num_rows:  # some rows were repeats: the file without them
            everything = pa.array(range(piece.rows), pa.int32())
            kept = from_parquet(piece.parquet).filter(pc.is_in(everything, fresh["_pos"]))
            write_part(folder, to_parquet(kept))
        if fresh.num_rows:
            seen.add(piece.partition, fresh.select(["event_id", "_fp"]))
            stats.rows[piece.partition] = stats.rows.get(piece.partition, 0) + fresh.num_rows
            stats.written += fresh.num_rows
            stats.files += 1
    stats.collisions = [_full_rows(events, c) for c in stats.collisions]
    return stats


def _full_rows(events: EncodedEvents, collided: pa.Table) -> pa.Table:
    """Whole rows (lake schema + `INTERNAL_COLUMNS`) of the given `ids` rows, for quarantine."""
    tables = []
    for number in pc.unique(collided["_slice"]).to_pylist():
        mine = collided.filter(pc.equal(collided["_slice"], number))
        rows = from_parquet(events.slices[number].parquet).take(mine["_pos"].cast(pa.int64()))
        for name in INTERNAL_COLUMNS:
            rows = rows.append_column(name, mine[name])
        tables.append(rows)
    return pa.concat_tables(tables)
