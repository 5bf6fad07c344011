"""A batch of objects -> one Arrow table of lake rows, its quarantine entries and object states.

This is the work a worker process does: read each object, decode it, normalize every record.
Reading is I/O (threads, since S3 GET latency dominates); the rest is pure.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat
from typing import Protocol

import pyarrow as pa

from trailguard.pipeline import faults
from trailguard.pipeline.ingest.decode import WHOLE_OBJECT, Decoded, Rejected, decode_object
from trailguard.pipeline.ingest.normalize_bulk import BulkRows, RecordFailure
from trailguard.pipeline.ingest.sources.layout import ObjectRef, parse_key
from trailguard.pipeline.ingest.state import (
    OBJECT_STATE,
    ObjectState,
    QuarantineEntry,
    object_states,
)
from trailguard.pipeline.lake.files import EncodedEvents, encode_events, partition_accounts

log = logging.getLogger(__name__)
FETCH_THREADS = 16


class Source(Protocol):
    """Where objects come from (`pipeline.ingest.sources.local.LocalSource`, `...s3.S3Source`)."""

    @property
    def name(self) -> str: ...

    @property
    def remote(self) -> bool: ...

    def list_objects(self) -> Iterator[ObjectRef]: ...

    def read_object(self, ref: ObjectRef) -> bytes: ...


@dataclass
class BatchResult:
    """Rows (lake schema + `_account`), quarantine entries, object states and failed reads.

    Once `encode`d, the rows are in `encoded` (ready for `lake.write_encoded`), not `table`.
    """

    table: pa.Table
    quarantined: list[QuarantineEntry] = field(default_factory=list)
    objects: pa.Table = field(default_factory=OBJECT_STATE.empty_table)  # `object_states`
    failed: list[tuple[str, str]] = field(default_factory=list)  # (uri, error)
    records: int = 0
    encoded: EncodedEvents | None = None

    def encode(self) -> BatchResult:
        """This result with its rows encoded for the lake, where they were read (`encode_events`:
        partitions, fingerprints, Parquet): much less to send, and less for the writer to do."""
        events = encode_events(self.table)
        return dataclasses.replace(self, table=self.table.schema.empty_table(), encoded=events)


def read_batch(source: Source, refs: list[ObjectRef], ingested_at: datetime) -> BatchResult:
    """Fetch, decode and normalize `refs`; a failed read is reported, never raised."""
    if not source.remote:  # local reads are fast: threads would only contend for the GIL
        return to_batch(source.name, ((ref, _fetch(source, ref)) for ref in refs), ingested_at)
    with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(refs)) or 1) as pool:
        # Decoded in order as they arrive: decoding overlaps the fetches still in flight.
        payloads = pool.map(lambda ref: _fetch(source, ref), refs)
        return to_batch(source.name, zip(refs, payloads, strict=True), ingested_at)


def _fetch(source: Source, ref: ObjectRef) -> bytes | Exception:
    try:
        faults.crash_point("fetch")
        return source.read_object(ref)
    except Exception as exc:  # one object's failure must not stop the batch
        return exc


def to_batch(
    source_name: str, fetched: Iterable[tuple[ObjectRef, bytes | Exception]], ingested_at: datetime
) -> BatchResult:
    """Decode and normalize fetched objects into a `BatchResult` (pure)."""
    result = BatchResult(table=pa.table({}))
    read = _Read(ingested_at)
    with _no_cycle_collection():
        for ref, payload in fetched:
            if isinstance(payload, Exception):
                result.failed.append((ref.uri, f"{type(payload).__name__}: {payload}"))
            else:
                read.add(ref, decode_object(payload, plain=True))
        result.table = read.table()
    states: list[ObjectState] = []
    errors: dict[int, list[RecordFailure]] = {}
    for failure in read.rows.failures:
        errors.setdefault(read.owners[failure.position], []).append(failure)
    for number, (ref, rejected, count) in enumerate(read.objects):
        entries = [
            QuarantineEntry(ref.uri, ref.version, r.record_index, r.reason, r.raw, ingested_at)
            for r in rejected
        ]
        entries += [
            QuarantineEntry(
                ref.uri, ref.version, read.indexes[f.position], f.reason, f.raw, ingested_at
            )
            for f in errors.get(number, [])
        ]
        _log_quarantined(ref, entries)
        records = count + sum(r.record_index != WHOLE_OBJECT for r in rejected)
        result.records += records  # rows + records quarantined (objects quarantined are not)
        result.quarantined.extend(entries)
        state = ObjectState(
            source_name, ref.key, ref.version, ref.size, records, len(entries), ingested_at
        )
        states.append(state)
    result.objects = object_states(states)
    return result


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """Parsed JSON is millions of containers and no cycles: the cyclic collector would walk
    them again and again for nothing (a fifth of the CPU of a batch)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Read:
    """A batch's decoded objects: their rows, and where each record came from."""

    def __init__(self, ingested_at: datetime) -> None:
        self.rows = BulkRows(ingested_at)
        self.objects: list[tuple[ObjectRef, list[Rejected], int]] = []  # (ref, rejected, records)
        self.indexes: list[int] = []  # each record's position in its object
        self.owners: list[int] = []  # each record's object, as a number in `objects`

    def add(self, ref: ObjectRef, decoded: Decoded) -> None:
        plain = decoded.plain
        count = len(decoded.records) if plain is None else len(plain)
        self.owners.extend(repeat(len(self.objects), count))
        self.objects.append((ref, decoded.rejected, count))
        if plain:
            self.indexes.extend(range(count))
            self.rows.add_plain(plain, ref.uri, decoded.text)
        elif count:
            indexes, records = zip(*decoded.records, strict=True)
            self.indexes.extend(indexes)
            self.rows.add(list(records), ref.uri)

    def table(self) -> pa.Table:
        """The rows (lake schema + `_account`, `_record_index`, `_object_version`), in order."""
        table, positions = self.rows.finish()
        owner = pa.array(self.owners, pa.int32()).take(positions)
        refs = [ref for ref, _, _ in self.objects]
        key_accounts = pa.array([parse_key(ref.key).account for ref in refs], pa.string())
        versions = pa.array([ref.version for ref in refs], pa.string())
        accounts = partition_accounts(table, key_accounts.take(owner))
        return (
            table.append_column("_account", accounts)
            .append_column("_record_index", pa.array(self.indexes, pa.int64()).take(positions))
            .append_column("_object_version", versions.take(owner))
        )


def _log_quarantined(ref: ObjectRef, entries: list[QuarantineEntry]) -> None:
    for entry in entries:
        where = "object" if entry.record_index == WHOLE_OBJECT else f"record {entry.record_index}"
        log.warning("quarantined %s of %s: %s", where, ref.uri, entry.reason)
