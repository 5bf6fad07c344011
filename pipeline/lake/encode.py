"""A batch's rows made ready for the lake, in the worker process that read them (pure).

The costly half of a write: splitting rows by partition, sorting them by time, fingerprinting
them and encoding each partition's rows as a Parquet file's bytes. What is left for the one
writer is the id check and the files (`pipeline.lake.write`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.lake.dedup import fingerprints
from trailguard.pipeline.lake.layout import Partition
from trailguard.pipeline.lake.parquet import to_parquet
from trailguard.pipeline.lake.schema import SCHEMA

# Columns a batch carries to the writer but that are not stored in the lake files.
INTERNAL_COLUMNS = ("_account", "_record_index", "_object_version")
_EMPTY_IDS = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("_fp", pa.string()),
        pa.field("_row", pa.int64()),
        pa.field("_account", pa.string()),
        pa.field("_record_index", pa.int64()),
        pa.field("_object_version", pa.string()),
        pa.field("_slice", pa.int32()),
        pa.field("_pos", pa.int32()),
    ]
).empty_table()


@dataclass
class EncodedSlice:
    """One partition's rows of a batch, sorted by time, as the bytes of a Parquet file."""

    partition: Partition
    parquet: bytes
    rows: int
    sources: tuple[str, ...] = ()  # the objects (`source_key`) the rows were read from


@dataclass
class EncodedEvents:
    """A batch's rows made ready for the lake by `encode_events` (in a worker process).

    `ids` holds, in the batch's row order, what `write_encoded` decides with: event_id, `_fp`,
    the row's slice and position in it (`_slice`, `_pos`), and the `INTERNAL_COLUMNS`.
    """

    slices: list[EncodedSlice]
    ids: pa.Table
    nbytes: int  # the rows' size in Arrow: what a writer's buffer is counted in


def encode_events(table: pa.Table) -> EncodedEvents:
    """Split rows (lake schema + `INTERNAL_COLUMNS`) by partition; encode each part (pure).

    The costly half of a write, done where the rows were read: sorting, fingerprints, Parquet
    encoding. What is left for the writer is the id check and the files.
    """
    table = table.append_column("_fp", fingerprints(table))
    table = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    slices, ids = [], []
    for number, (part, rows) in enumerate(_by_partition(table)):
        sources = tuple(s for s in pc.unique(rows["source_key"]).to_pylist() if s is not None)
        slices.append(
            EncodedSlice(part, to_parquet(rows.select(SCHEMA.names)), rows.num_rows, sources)
        )
        thin = rows.select(["event_id", "_fp", "_row", *INTERNAL_COLUMNS])
        thin = thin.append_column("_slice", pa.array([number] * rows.num_rows, pa.int32()))
        ids.append(thin.append_column("_pos", pa.array(range(rows.num_rows), pa.int32())))
    thin = pa.concat_tables(ids) if ids else _EMPTY_IDS
    thin = thin.take(pc.sort_indices(thin["_row"])).drop_columns(["_row"])
    return EncodedEvents(slices, thin, table.nbytes)


def _by_partition(table: pa.Table) -> Iterator[tuple[Partition, pa.Table]]:
    """Each partition's rows, sorted by time: one sort and one `take` of the whole batch, then
    a zero-copy slice per partition (a `take` per partition costs as much again each time)."""
    dates = pc.cast(pc.cast(table["event_time"], pa.date32()), pa.string())
    keys = pc.binary_join_element_wise(dates, table["_account"], "/")
    order = pc.sort_indices(
        pa.table({"_part": keys, "event_time": table["event_time"]}),
        sort_keys=[("_part", "ascending"), ("event_time", "ascending")],
    )
    table = table.take(order)
    offset = 0
    for entry in pc.value_counts(keys.take(order)).to_pylist():  # runs, in sorted order
        event_date, account_id = str(entry["values"]).split("/", 1)
        yield Partition(event_date, account_id), table.slice(offset, entry["counts"])
        offset += entry["counts"]
