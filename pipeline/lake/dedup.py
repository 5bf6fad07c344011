"""Each event_id once in the lake: the ids a write checks its rows against.

CloudTrail re-delivers events (global-service events land in two regions' files) and reruns
re-read objects, so each write drops ids already present. A repeated id with the same
fingerprint (time, source, name) is a re-delivery, dropped and counted; with another fingerprint
it is a collision (hand-made exports reuse ids such as "1"), kept for quarantine and never
written over the first. An event's id fixes its time and account, hence its partition, so the
lake's files are checked partition by partition (`IdCache`); the ids a writer met since its last
commit are checked whatever their partition (`IdWindow`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trailguard.pipeline.lake.layout import Partition, partition_files
from trailguard.pipeline.lake.schema import SCHEMA

MAX_CACHED_PARTITIONS = 32  # partitions whose event ids a run keeps in memory


@dataclass
class Repeats:
    """Rows whose event_id was met before: re-deliveries counted, collisions kept (their `ids`
    rows: event_id, `_fp`, ...)."""

    duplicates: int = 0
    collisions: list[pa.Table] = field(default_factory=list)


def fingerprints(table: pa.Table) -> pa.ChunkedArray:
    """What makes two rows with one event_id the same event: its time, source and name."""
    micros = pc.cast(pc.cast(table["event_time"], pa.int64()), pa.string())
    source = pc.fill_null(table["event_source"], "")
    name = pc.fill_null(table["event_name"], "")
    return pc.binary_join_element_wise(micros, source, name, "|")


def first_of_each_id(table: pa.Table, repeats: Repeats) -> pa.Table:
    """The first row of each event_id; the later ones sorted into duplicates and collisions."""
    if pc.count_distinct(table["event_id"]).as_py() == table.num_rows:
        return table  # the common case: nothing repeats within the batch
    indexed = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    firsts = indexed.group_by("event_id", use_threads=False).aggregate([("_row", "min")])
    is_first = pc.is_in(indexed["_row"], firsts["_row_min"])
    first_rows = table.filter(is_first)
    later = table.filter(pc.invert(is_first))
    split_repeats(later, first_rows.select(["event_id", "_fp"]), repeats)
    return first_rows


def split_repeats(rows: pa.Table, known: pa.Table, repeats: Repeats) -> None:
    """Count `rows` repeating a known (event_id, _fp) as duplicates; keep the others as
    collisions."""
    if not rows.num_rows:
        return
    pairs = pc.binary_join_element_wise(rows["event_id"], rows["_fp"], "\x1f")
    known_pairs = pc.binary_join_element_wise(known["event_id"], known["_fp"], "\x1f")
    same = pc.is_in(pairs, known_pairs)
    repeats.duplicates += pc.sum(same).as_py() or 0
    collided = rows.filter(pc.invert(same))
    if collided.num_rows:
        repeats.collisions.append(collided)


class IdWindow:
    """(event_id, fingerprint) of the first row of each id a writer met since its last commit.

    Within it a repeated id is caught whatever partition each copy belongs to (a hand-made
    export reusing "1" on two days); past it, within the partition only (`IdCache`).
    """

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def drop_repeats(self, ids: pa.Table, repeats: Repeats) -> pa.Table:
        """`ids` without those met before (counted as duplicates or kept as collisions)."""
        if not self.tables:
            return ids
        known = pa.concat_tables(self.tables)
        # Hash the batch and probe the window (not the other way round: the window is larger).
        met = pc.is_in(known["event_id"], ids["event_id"])
        if not pc.any(met).as_py():
            return ids
        known = known.filter(met)
        taken = pc.is_in(ids["event_id"], known["event_id"])
        split_repeats(ids.filter(taken), known, repeats)
        return ids.filter(pc.invert(taken))

    def add(self, ids: pa.Table) -> None:
        """Remember the first rows of a batch (after `drop_repeats`)."""
        self.tables.append(ids.select(["event_id", "_fp"]))


class IdCache:
    """(event_id, fingerprint) already in each partition, read from its files when first needed.

    Bounded: past `MAX_CACHED_PARTITIONS` the least recently used partition is dropped and read
    again from its files (which hold this run's writes too) if it comes back, so memory does not
    grow with the number of events a run ingests.
    """

    def __init__(self, max_partitions: int = MAX_CACHED_PARTITIONS) -> None:
        self._ids: OrderedDict[Partition, pa.Table] = OrderedDict()
        self.max_partitions = max_partitions

    def ids(self, lake: Path, part: Partition) -> pa.Table:
        """Ids present in the partition (including ones written earlier in this run)."""
        if part in self._ids:
            self._ids.move_to_end(part)
            return self._ids[part]
        files = partition_files(part.path(lake))
        columns = ["event_id", "event_time", "event_source", "event_name"]
        tables = [pq.read_table(f, columns=columns) for f in files]
        existing = pa.concat_tables(tables) if tables else SCHEMA.empty_table().select(columns)
        self._ids[part] = pa.table(
            {"event_id": existing["event_id"], "_fp": fingerprints(existing)}
        )
        while len(self._ids) > self.max_partitions:
            self._ids.popitem(last=False)
        return self._ids[part]

    def add(self, part: Partition, ids: pa.Table) -> None:
        """Remember ids just written to `part` (after `ids(part)`, so it is cached)."""
        self._ids[part] = pa.concat_tables([self._ids[part], ids.cast(self._ids[part].schema)])
