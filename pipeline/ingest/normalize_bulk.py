"""Raw CloudTrail records -> lake rows, many at a time: `normalize_event` in bulk. Pure, no I/O.

Record by record, a row costs a dict and some fifty Python calls. Here the *plain* records
(CloudTrail's own keys only, text where text belongs, booleans where booleans belong, an
`eventID`, an `eventTime` written as CloudTrail writes it) are converted by Arrow: one conversion
of a chunk of records gives the text and boolean columns, one orjson call per nested value gives
the JSON text, and derived columns (identity, base event name, ...) are computed once per
distinct value. Any other record (lower-cased keys of a hand-made export, a number where text
belongs, a Logstash `@timestamp`, no `eventID`, nesting past orjson's limit, ...) goes through
`normalize_event`, which stays the one definition of a row, and its row is put back in place.
Both give equal rows (tests/unit/ingest/test_normalize_bulk.py).

Records come either parsed (dicts, `add`) or as `PlainRecord`s from the fast path of decoding
(`add_plain`, `pipeline.ingest.plain_records`): typed already, their nested values JSON text
already, so their chunk (`PlainChunk`) skips the type checks and the orjson calls; a record of
theirs that still proves unfit (an `eventTime` in another format, no `eventID`) is parsed again from
its document and goes through `normalize_event` like any other.

The conversion of a chunk is `pipeline.ingest.chunks`; the tables it and `normalize_event` give,
with their derived columns, `pipeline.ingest.row_tables`.

Parsed records are converted a chunk at a time, as their objects are decoded: while the parsed
JSON is still in the CPU's cache, and so that a batch never holds all of its parsed JSON at once.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.ingest.chunks import Chunk, PlainChunk
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.field_values import RecordError
from trailguard.pipeline.ingest.normalize import KNOWN_FIELDS, normalize_event
from trailguard.pipeline.ingest.row_tables import WITH_POSITION, SlowRows, with_derived_columns

CHUNK_RECORDS = 512  # records converted at once: few enough to still be in the CPU's cache
# `PlainRecord`s are small (their nested values are slices of their documents): converted in
# larger chunks, for fewer Arrow calls per record.
PLAIN_CHUNK_RECORDS = 8192


@dataclass(frozen=True)
class RecordFailure:
    """A record that cannot become a row: its position among those added, and why."""

    position: int
    reason: str
    raw: str


class BulkRows:
    """Takes records an object at a time; `finish` gives the rows of all of them, in order."""

    def __init__(self, ingested_at: datetime, *, max_failures: int | None = None) -> None:
        self.ingested_at = ingested_at
        # Failures kept per source key: past it an object's are counted only (its caller then
        # quarantines the object whole), so that a million bad records cost no more than this.
        self.max_failures = max_failures
        self.failed: dict[str, int] = {}  # failures per source key
        self.records: list[Any] = []  # added, not converted yet
        self.keys: list[str] = []
        # When `records` are `PlainRecord`s: (first record's index, document) of each object.
        self.documents: list[tuple[int, bytes]] = []
        self.converted = 0
        self.parts: list[pa.Table] = []  # rows of plain records, with `_position`
        self.slow = SlowRows()  # rows `normalize_event` made, and their positions
        self.slow_positions: list[int] = []
        self.failures: list[RecordFailure] = []

    def add(self, records: list[Any], source_key: str) -> None:
        """Parsed records read from `source_key` (converted once a chunk's worth is waiting)."""
        if self.documents:
            self._convert()  # a chunk holds one kind of record
        self._add(records, source_key)

    def add_plain(self, records: list[Any], source_key: str, text: bytes) -> None:
        """`PlainRecord`s read from `source_key`, whose decompressed bytes are `text`."""
        if self.records and not self.documents:
            self._convert()
        self.documents.append((len(self.records), text))
        self._add(records, source_key)

    def _add(self, records: list[Any], source_key: str) -> None:
        self.records.extend(records)
        self.keys.extend(repeat(source_key, len(records)))
        if len(self.records) >= (PLAIN_CHUNK_RECORDS if self.documents else CHUNK_RECORDS):
            self._convert()

    def finish(self) -> tuple[pa.Table, pa.Array]:
        """Every row, in the order of the records (lake schema), and each row's position."""
        self._convert()
        if self.parts:
            part = pa.concat_tables(self.parts)
            table = with_derived_columns(part, self.ingested_at)
        else:
            table = WITH_POSITION.empty_table()
        positions = table["_position"]
        table = table.drop_columns(["_position"])
        if self.slow_positions:
            table = pa.concat_tables([table, self.slow.to_table()])
            positions = pa.chunked_array(
                [*positions.chunks, pa.array(self.slow_positions, pa.int64())]
            )
            order = pc.sort_indices(positions)
            table, positions = table.take(order), positions.take(order)
        return table, positions.combine_chunks()

    def _convert(self) -> None:
        records, keys, start = self.records, self.keys, self.converted
        if not records:
            return
        chunk: Chunk
        if self.documents:
            plain = list(range(len(records)))
            chunk = PlainChunk(records, self.ingested_at)
        else:
            plain = [
                i for i, r in enumerate(records) if type(r) is dict and KNOWN_FIELDS.issuperset(r)
            ]
            fit = [records[i] for i in plain] if len(plain) < len(records) else records
            chunk = Chunk(fit, self.ingested_at)
        part = chunk.table()
        fine = chunk.fine()
        if fine is not None:
            part = part.filter(fine)
            plain = [i for i, ok in zip(plain, fine.to_pylist(), strict=True) if ok]
        part = part.append_column("source_key", pa.array([keys[i] for i in plain], pa.string()))
        positions = pa.array([start + i for i in plain], pa.int64())
        self.parts.append(part.append_column("_position", positions))
        if len(plain) < len(records):
            done = set(plain)
            parsed = _Parsed(self.documents) if self.documents else None
            for i in (i for i in range(len(records)) if i not in done):
                record = parsed.record(i) if parsed else records[i]
                self._one_by_one(record, keys[i], start + i)
        self.converted += len(records)
        self.records, self.keys, self.documents = [], [], []

    def _one_by_one(self, record: Any, source_key: str, position: int) -> None:
        try:
            row, identity = normalize_event(record, source_key, self.ingested_at)
        except (RecordError, TypeError, ValueError, RecursionError) as exc:
            # RecordError is the expected case; the others are values no encoder can hold
            # (nesting past orjson's limit, say): quarantined with their reason, never a crash.
            reason = str(exc) if isinstance(exc, RecordError) else f"unencodable record: {exc}"
            failed = self.failed[source_key] = self.failed.get(source_key, 0) + 1
            if self.max_failures is None or failed <= self.max_failures:
                self.failures.append(RecordFailure(position, reason, _raw_record(record)))
            return
        self.slow.add(row, identity)
        self.slow_positions.append(position)


class _Parsed:
    """The records of a chunk of `PlainRecord`s as parsed JSON, for those `normalize_event`
    must see after all (each object decoded again, the general way, when first needed)."""

    def __init__(self, documents: list[tuple[int, bytes]]) -> None:
        self.documents = documents
        self.starts = [start for start, _ in documents]
        self.parsed: dict[int, dict[int, Any]] = {}

    def record(self, index: int) -> Any:
        number = bisect_right(self.starts, index) - 1
        if number not in self.parsed:
            self.parsed[number] = dict(decode_object(self.documents[number][1]).records)
        return self.parsed[number].get(index - self.starts[number])


def _raw_record(record: object) -> str:
    try:
        return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode()[: 1 << 20]
    except (TypeError, RecursionError):
        return repr(record)[: 1 << 20]
