"""A batch of objects -> one Arrow table of lake rows, its quarantine entries and object states.

This is the work a worker process does: read each object, decode it, normalize every record.
Reading is I/O (threads, since S3 GET latency dominates); the rest is pure.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import Any, Protocol

import orjson
import pyarrow as pa

from pipeline import faults
from pipeline.decode import WHOLE_OBJECT, decode_object
from pipeline.lake import partition_accounts
from pipeline.normalize import IDENTITY_COLUMNS, RecordError, identity_columns, normalize_event
from pipeline.schema import SCHEMA
from pipeline.sources.layout import ObjectRef, parse_key
from pipeline.state import ObjectState, QuarantineEntry

log = logging.getLogger(__name__)
FETCH_THREADS = 16


class Source(Protocol):
    """Where objects come from (`pipeline.sources.local.LocalSource`, `...s3.S3Source`)."""

    @property
    def name(self) -> str: ...

    @property
    def remote(self) -> bool: ...

    def list_objects(self) -> Iterator[ObjectRef]: ...

    def read_object(self, ref: ObjectRef) -> bytes: ...


@dataclass
class BatchResult:
    """Rows (lake schema + `_account`), quarantine entries, object states and failed reads."""

    table: pa.Table
    quarantined: list[QuarantineEntry] = field(default_factory=list)
    objects: list[ObjectState] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (uri, error)
    records: int = 0


def read_batch(source: Source, refs: list[ObjectRef], ingested_at: datetime) -> BatchResult:
    """Fetch, decode and normalize `refs`; a failed read is reported, never raised."""
    if not source.remote:  # local reads are fast: threads would only contend for the GIL
        payloads = [_fetch(source, ref) for ref in refs]
    else:
        with ThreadPoolExecutor(max_workers=min(FETCH_THREADS, len(refs)) or 1) as pool:
            payloads = list(pool.map(lambda ref: _fetch(source, ref), refs))
    return to_batch(source.name, list(zip(refs, payloads, strict=True)), ingested_at)


def _fetch(source: Source, ref: ObjectRef) -> bytes | Exception:
    try:
        faults.crash_point("fetch")
        return source.read_object(ref)
    except Exception as exc:  # one object's failure must not stop the batch
        return exc


def to_batch(
    source_name: str, fetched: list[tuple[ObjectRef, bytes | Exception]], ingested_at: datetime
) -> BatchResult:
    """Decode and normalize fetched objects into a `BatchResult` (pure)."""
    rows = _Rows()
    key_accounts: list[str | None] = []
    versions: list[str] = []
    result = BatchResult(table=pa.table({}))
    for ref, payload in fetched:
        if isinstance(payload, Exception):
            result.failed.append((ref.uri, f"{type(payload).__name__}: {payload}"))
            continue
        before = len(rows)
        entries = _decode_into(ref, payload, ingested_at, rows)
        key_accounts.extend([parse_key(ref.key).account] * (len(rows) - before))
        versions.extend([ref.version] * (len(rows) - before))
        records = len(rows) - before + sum(e.record_index != WHOLE_OBJECT for e in entries)
        result.records += records
        result.quarantined.extend(entries)
        state = ObjectState(
            source_name, ref.key, ref.version, ref.size, records, len(entries), ingested_at
        )
        result.objects.append(state)
    table = rows.to_table()
    accounts = partition_accounts(table, pa.array(key_accounts, pa.string()))
    result.table = (
        table.append_column("_account", accounts)
        .append_column("_record_index", pa.array(rows.indexes, pa.int64()))
        .append_column("_object_version", pa.array(versions, pa.string()))
    )
    return result


class _Rows:
    """Normalized rows of a batch, kept column-friendly: the identity columns are built once per
    distinct userIdentity and spread to the rows with one vectorised `take`."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.indexes: list[int] = []  # each row's position in its object
        self.identity_ids: list[int] = []
        self.identities: dict[str | None, int] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def add(self, row: dict[str, Any], identity: str | None, index: int) -> None:
        self.rows.append(row)
        self.indexes.append(index)
        self.identity_ids.append(self.identities.setdefault(identity, len(self.identities)))

    def to_table(self) -> pa.Table:
        """The rows as an Arrow table of the lake schema."""
        distinct = [identity_columns(text) for text in self.identities]
        take = pa.array(self.identity_ids, pa.int32())
        columns = {}
        for name, dtype in zip(SCHEMA.names, SCHEMA.types, strict=True):
            if name in IDENTITY_COLUMNS:
                values = pa.array([row[name] for row in distinct], type=dtype)
                columns[name] = values.take(take)
            else:
                columns[name] = pa.array(list(map(itemgetter(name), self.rows)), type=dtype)
        return pa.table(columns, schema=SCHEMA)


def _decode_into(
    ref: ObjectRef, payload: bytes, ingested_at: datetime, rows: _Rows
) -> list[QuarantineEntry]:
    """Append the object's rows to `rows`; return what it quarantines."""
    decoded = decode_object(payload)
    entries = [
        QuarantineEntry(ref.uri, ref.version, r.record_index, r.reason, r.raw, ingested_at)
        for r in decoded.rejected
    ]
    for index, record in decoded.records:
        try:
            row, identity = normalize_event(record, ref.uri, ingested_at)
            rows.add(row, identity, index)
        except (RecordError, TypeError, ValueError, RecursionError) as exc:
            # RecordError is the expected case; the others are values no encoder can hold
            # (nesting past orjson's limit, say): quarantined with their reason, never a crash.
            reason = str(exc) if isinstance(exc, RecordError) else f"unencodable record: {exc}"
            raw = _raw_record(record)
            entries.append(QuarantineEntry(ref.uri, ref.version, index, reason, raw, ingested_at))
    for entry in entries:
        where = "object" if entry.record_index == WHOLE_OBJECT else f"record {entry.record_index}"
        log.warning("quarantined %s of %s: %s", where, ref.uri, entry.reason)
    return entries


def _raw_record(record: object) -> str:
    try:
        return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode()[: 1 << 20]
    except (TypeError, RecursionError):
        return repr(record)[: 1 << 20]
