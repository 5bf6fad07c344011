"""A batch of objects -> one Arrow table of lake rows, its quarantine entries and object states.

This is the work a worker process does: read each object, decode it, normalize every record.
Reading is I/O (threads, since S3 GET latency dominates); the rest is pure.

What a batch may cost is bounded whatever its objects hold (`pipeline.ingest.limits`): an object
listed larger than the object limit is not fetched, one that inflates past it is not decoded
(both quarantined whole, their state recorded so that reruns pass them by); a batch takes no
more objects once their text passes the object limit (the rest are `deferred` to the next); and
an object with more than `MAX_BAD_RECORDS` bad records is quarantined whole, not record by record.
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
from functools import partial
from itertools import repeat
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline import faults
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.decoded import (
    MAX_BAD_RECORDS,
    WHOLE_OBJECT,
    Decoded,
    Rejected,
    reject_object,
    too_many_bad,
)
from trailguard.pipeline.ingest.limits import DEFAULT_LIMITS, ObjectTooLarge, ReadLimits, too_large
from trailguard.pipeline.ingest.normalize_bulk import BulkRows, RecordFailure
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped, parse_key
from trailguard.pipeline.ingest.state import (
    OBJECT_STATE,
    ObjectState,
    QuarantineEntry,
    object_states,
)
from trailguard.pipeline.lake.encode import EncodedEvents, encode_events
from trailguard.pipeline.lake.layout import partition_accounts

log = logging.getLogger(__name__)
FETCH_THREADS = 16


class Source(Protocol):
    """Where objects come from (`pipeline.ingest.sources.local.LocalSource`, `...s3.S3Source`)."""

    @property
    def name(self) -> str: ...

    @property
    def remote(self) -> bool: ...

    def list_objects(self) -> Iterator[ObjectRef | Skipped]: ...

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
    deferred: list[ObjectRef] = field(default_factory=list)  # left for another batch (budget)

    def encode(self) -> BatchResult:
        """This result with its rows encoded for the lake, where they were read (`encode_events`:
        partitions, fingerprints, Parquet): much less to send, and less for the writer to do."""
        events = encode_events(self.table)
        return dataclasses.replace(self, table=self.table.schema.empty_table(), encoded=events)


def read_batch(
    source: Source,
    refs: list[ObjectRef],
    ingested_at: datetime,
    limits: ReadLimits = DEFAULT_LIMITS,
    *,
    budget: int | None = None,
) -> BatchResult:
    """Fetch, decode and normalize `refs`; a failed read is reported, never raised. Past `budget`
    bytes of decompressed text, the objects left are not read but `deferred`."""
    fetch = partial(_fetch, source, limits=limits)
    if not source.remote:  # local reads are fast: threads would only contend for the GIL
        fetched = zip(refs, map(fetch, refs), strict=True)
        result = to_batch(source.name, fetched, ingested_at, limits, budget=budget)
    else:
        with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(refs)) or 1) as pool:
            # Decoded in order as they arrive: decoding overlaps the fetches still in flight.
            fetched = zip(refs, pool.map(fetch, refs), strict=True)
            result = to_batch(source.name, fetched, ingested_at, limits, budget=budget)
    taken = result.objects.num_rows + len(result.failed)
    result.deferred = refs[taken:]
    return result


def _fetch(source: Source, ref: ObjectRef, *, limits: ReadLimits) -> bytes | Exception:
    if ref.size > limits.object_bytes:  # no inflated text is smaller than its gzip, near enough
        return ObjectTooLarge(too_large(limits.object_bytes, "is"))
    try:
        faults.crash_point("fetch")
        return source.read_object(ref)
    except Exception as exc:  # one object's failure must not stop the batch
        return exc


def to_batch(
    source_name: str,
    fetched: Iterable[tuple[ObjectRef, bytes | Exception]],
    ingested_at: datetime,
    limits: ReadLimits = DEFAULT_LIMITS,
    *,
    budget: int | None = None,
) -> BatchResult:
    """Decode and normalize fetched objects into a `BatchResult` (pure). Once their decompressed
    text passes `budget` bytes, it stops: the pairs left are not taken from `fetched`."""
    result = BatchResult(table=pa.table({}))
    read = _Read(ingested_at)
    with _no_cycle_collection():
        for ref, payload in fetched:
            if isinstance(payload, ObjectTooLarge):  # quarantined, and marked read
                read.add(ref, reject_object(str(payload)))
            elif isinstance(payload, Exception):
                result.failed.append((ref.uri, f"{type(payload).__name__}: {payload}"))
            else:
                read.add(ref, decode_object(payload, plain=True, limits=limits))
            if budget is not None and read.text_bytes >= budget:
                break
        result.table = read.table()
    result.objects = object_states(
        [_entries_and_state(source_name, read, number, result) for number in range(read.count)]
    )
    return result


def _entries_and_state(
    source_name: str, read: _Read, number: int, result: BatchResult
) -> ObjectState:
    """Object `number`'s quarantine entries (added to `result`, and logged) and its state."""
    ref, rejected, count = read.objects[number]
    failures = read.failures.get(number, [])
    at = read.rows.ingested_at
    entries = [
        QuarantineEntry(ref.uri, ref.version, r.record_index, r.reason, r.raw, at) for r in rejected
    ]
    entries += [
        QuarantineEntry(ref.uri, ref.version, read.indexes[f.position], f.reason, f.raw, at)
        for f in failures
    ]
    records = count + sum(r.record_index != WHOLE_OBJECT for r in rejected)
    if number in read.overflowing:  # its rows are out of the table already
        entries = [
            QuarantineEntry(ref.uri, ref.version, WHOLE_OBJECT, read.overflowing[number], "", at)
        ]
        records = 0
    _log_quarantined(ref, entries)
    result.records += records  # rows + records quarantined (objects quarantined are not)
    result.quarantined.extend(entries)
    return ObjectState(source_name, ref.key, ref.version, ref.size, records, len(entries), at)


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
        self.rows = BulkRows(ingested_at, max_failures=MAX_BAD_RECORDS)
        self.objects: list[tuple[ObjectRef, list[Rejected], int]] = []  # (ref, rejected, records)
        self.indexes: list[int] = []  # each record's position in its object
        self.owners: list[int] = []  # each record's object, as a number in `objects`
        self.text_bytes = 0  # decompressed text of the objects decoded
        self.failures: dict[int, list[RecordFailure]] = {}  # by object number, once `table`d
        self.overflowing: dict[int, str] = {}  # objects with too many bad records: the reason

    @property
    def count(self) -> int:
        """Objects added."""
        return len(self.objects)

    def add(self, ref: ObjectRef, decoded: Decoded) -> None:
        self.text_bytes += decoded.size
        for note in decoded.notes:
            log.warning("%s: %s", ref.uri, note)
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
        """The rows (lake schema + `_account`, `_record_index`, `_object_version`), in order;
        none of an object with more than `MAX_BAD_RECORDS` bad records."""
        table, positions = self.rows.finish()
        owner = pa.array(self.owners, pa.int32()).take(positions)
        self._sort_failures()
        if self.overflowing:
            keep = pc.invert(pc.is_in(owner, pa.array(list(self.overflowing), pa.int32())))
            table, owner, positions = table.filter(keep), owner.filter(keep), positions.filter(keep)
        refs = [ref for ref, _, _ in self.objects]
        key_accounts = pa.array([parse_key(ref.key).account for ref in refs], pa.string())
        versions = pa.array([ref.version for ref in refs], pa.string())
        accounts = partition_accounts(table, key_accounts.take(owner))
        return (
            table.append_column("_account", accounts)
            .append_column("_record_index", pa.array(self.indexes, pa.int64()).take(positions))
            .append_column("_object_version", versions.take(owner))
        )

    def _sort_failures(self) -> None:
        """Failed records by object; objects past `MAX_BAD_RECORDS` in `overflowing`."""
        for failure in self.rows.failures:
            self.failures.setdefault(self.owners[failure.position], []).append(failure)
        for number, (ref, rejected, _) in enumerate(self.objects):
            records = [r.reason for r in rejected if r.record_index != WHOLE_OBJECT]
            if self.rows.failed.get(ref.uri, 0) + len(records) > MAX_BAD_RECORDS:
                records += [f.reason for f in self.failures.get(number, [])]
                self.overflowing[number] = too_many_bad(records[0])


def _log_quarantined(ref: ObjectRef, entries: list[QuarantineEntry]) -> None:
    for entry in entries:
        where = "object" if entry.record_index == WHOLE_OBJECT else f"record {entry.record_index}"
        log.warning("quarantined %s of %s: %s", where, ref.uri, entry.reason)
