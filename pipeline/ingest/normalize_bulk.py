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
already, so their chunk (`_PlainChunk`) skips the type checks and the orjson calls; a record of
theirs that still proves unfit (an `eventTime` in another format, no `eventID`) is parsed again from
its document and goes through `normalize_event` like any other.

Parsed records are converted a chunk at a time, as their objects are decoded: while the parsed
JSON is still in the CPU's cache, and so that a batch never holds all of its parsed JSON at once.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import repeat
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.normalize import (
    BOOL_FIELDS,
    EARLIEST_EVENT_TIME,
    FUTURE_SLACK,
    IDENTITY_COLUMNS,
    KNOWN_FIELDS,
    SCALAR_FIELDS,
    RecordError,
    base_event_name,
    identity_columns,
    looks_like_ip,
    normalize_event,
)
from trailguard.pipeline.ingest.plain_records import (
    FLAG_FIELDS,
    NESTED_FIELDS,
    TEXT_FIELDS,
    flat_values,
    nested_column,
)
from trailguard.pipeline.lake.schema import JSON_FIELDS, SCHEMA, UTC_TS

CHUNK_RECORDS = 512  # records converted at once: few enough to still be in the CPU's cache
# `PlainRecord`s are small (their nested values are slices of their documents): converted in
# larger chunks, for fewer Arrow calls per record.
PLAIN_CHUNK_RECORDS = 8192
# eventTime as CloudTrail writes it (UTC, `Z`). Arrow's cast reads such text exactly as
# `parse_time` does, and refuses what it refuses (a 13th month, Feb 30, second 60, year 0): a
# chunk whose cast fails has its times checked one by one.
_CLOUDTRAIL_TIME = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$"
_ID_START = r"^[0-9A-Za-z]"  # an eventID `str.strip` cannot empty (real ones are UUIDs)
_TEXT: frozenset[type] = frozenset([str, type(None)])
_BOOL: frozenset[type] = frozenset([bool, type(None)])
_BOOL_TEXT = {"true": True, "false": False}
_OBJECT: frozenset[type] = frozenset([dict, type(None)])
# Text and boolean fields Arrow converts straight from the records, in one pass.
_FLAT = pa.struct(
    [
        *[(name, pa.string()) for name in TEXT_FIELDS],
        *[(name, pa.bool_()) for name in FLAG_FIELDS],
    ]
)
# Fields read in Python: objects kept as JSON text, and a boolean CloudTrail writes as text
# ("sessionCredentialFromConsole": "true").
_NESTED = (*JSON_FIELDS, "userIdentity", "sessionCredentialFromConsole")
_COLUMN = {**SCALAR_FIELDS, **BOOL_FIELDS, **JSON_FIELDS, "eventID": "event_id"}
_COLUMN.update(eventTime="event_time", userIdentity="user_identity")
_WITH_POSITION = SCHEMA.append(pa.field("_position", pa.int64()))
# The identity columns but the JSON text itself, which the row already has.
_DERIVED_IDENTITY = pa.schema(
    [SCHEMA.field(name) for name in IDENTITY_COLUMNS if name != "user_identity"]
)


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
        self.slow = _Rows()  # rows `normalize_event` made, and their positions
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
            table = _finish(part, self.ingested_at)
        else:
            table = _WITH_POSITION.empty_table()
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
        chunk: _Chunk
        if self.documents:
            plain = list(range(len(records)))
            chunk = _PlainChunk(records, self.ingested_at)
        else:
            plain = [
                i for i, r in enumerate(records) if type(r) is dict and KNOWN_FIELDS.issuperset(r)
            ]
            fit = [records[i] for i in plain] if len(plain) < len(records) else records
            chunk = _Chunk(fit, self.ingested_at)
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


class _Chunk:
    """The columns of plain records, and which of them turned out not to be plain after all."""

    def __init__(self, records: list[Any], ingested_at: datetime) -> None:
        self.records = records  # dicts (`_PlainChunk`: `PlainRecord`s)
        self.ingested_at = ingested_at
        self.flags: list[bool] | None = None  # rows found unfit one value at a time (rare)
        self.masks: list[pa.Array] = []  # rows found fit by vectorised checks

    def table(self) -> pa.Table:
        """Columns read from the fields (values of unfit rows mean nothing: `fine` drops them)."""
        columns = self.flat()
        self.masks.append(pc.match_substring_regex(columns["eventID"], _ID_START))
        for name in ("eventName", "eventSource"):  # required, and not empty
            self.masks.append(pc.greater(pc.binary_length(columns[name]), 0))
        columns["eventTime"] = self.event_time(columns["eventTime"])
        texts, console = self.nested()
        columns.update(texts)
        columns["sessionCredentialFromConsole"] = self.booleans(console)
        return pa.table({_COLUMN[name]: values for name, values in columns.items()})

    def nested(self) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
        """JSON text of each `NESTED_FIELDS` field, and sessionCredentialFromConsole's values."""
        nested = dict(zip(_NESTED, self.nested_values(), strict=True))
        nested["userIdentity"] = self.keep_types(nested["userIdentity"], _OBJECT)
        texts = {name: pa.array(self.json(nested[name]), pa.string()) for name in NESTED_FIELDS}
        return texts, nested["sessionCredentialFromConsole"]

    def fine(self) -> pa.Array | None:
        """Which rows are plain after all (None: every one)."""
        fit = list(self.masks)
        if self.flags is not None:
            fit.append(pc.invert(pa.array(self.flags, pa.bool_())))
        mask = fit[0]
        for other in fit[1:]:
            mask = pc.and_(mask, other)
        mask = pc.fill_null(mask, False)
        return None if pc.all(mask).as_py() else mask

    def flat(self) -> dict[str, pa.Array]:
        """The text and boolean fields, converted by Arrow in one pass over the records."""
        try:
            converted = pa.array(self.records, type=_FLAT)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # a value of another type: find it
            return {
                field.name: self.text(field.name)
                if field.type == pa.string()
                else self.booleans(self.values(field.name))
                for field in _FLAT
            }
        return dict(zip(_FLAT.names, converted.flatten(), strict=True))

    def nested_values(self) -> list[list[Any]]:
        """The values of the `_NESTED` fields, one list per field."""
        rows = [tuple(map(r.get, _NESTED)) for r in self.records]
        if not rows:
            return [[] for _ in _NESTED]
        return [list(column) for column in zip(*rows, strict=True)]

    def values(self, name: str) -> list[Any]:
        """The field's value in every record (None where absent)."""
        return list(map(dict.get, self.records, repeat(name)))

    def unfit(self, index: int) -> None:
        """Leave row `index` to `normalize_event`."""
        if self.flags is None:
            self.flags = [False] * len(self.records)
        self.flags[index] = True

    def keep_types(self, values: list[Any], types: frozenset[type]) -> list[Any]:
        """`values`, with any value of another type nulled and its row marked unfit."""
        if not types.issuperset(map(type, values)):
            for i, value in enumerate(values):
                if type(value) not in types:
                    values[i] = None
                    self.unfit(i)
        return values

    def text(self, name: str) -> pa.Array:
        """A text field (a number or object there is `normalize_event`'s to convert)."""
        return pa.array(self.keep_types(self.values(name), _TEXT), pa.string())

    def booleans(self, values: list[Any]) -> pa.Array:
        """A boolean field; CloudTrail writes some as text ("true"), read as `_loose_bool` does."""
        if not _BOOL.issuperset(map(type, values)):
            for i, value in enumerate(values):
                if type(value) is str:
                    values[i] = _BOOL_TEXT.get(value.lower())
                elif type(value) not in _BOOL:
                    values[i] = None
                if values[i] is None and value is not None:  # `normalize_event` keeps it in extra
                    self.unfit(i)
        return pa.array(values, pa.bool_())

    def json(self, values: list[Any]) -> list[bytes | None]:
        """JSON text of each value (one orjson call each); a value orjson refuses is unfit.

        As `to_json_text` writes it; without its OPT_NON_STR_KEYS, which changes nothing here
        (parsed JSON has text keys only) and costs an option per call.
        """
        dumps = orjson.dumps
        try:
            return [None if v is None else dumps(v) for v in values]
        except orjson.JSONEncodeError:
            texts: list[bytes | None] = []
            for i, value in enumerate(values):
                try:
                    texts.append(None if value is None else dumps(value))
                except orjson.JSONEncodeError:
                    texts.append(None)
                    self.unfit(i)
            return texts

    def event_time(self, text: pa.Array) -> pa.Array:
        """eventTime as a UTC timestamp; any other shape of time, or a time outside what
        CloudTrail can have written (`normalize.check_event_time` says why), is unfit."""
        self.masks.append(pc.match_substring_regex(text, _CLOUDTRAIL_TIME))
        usable = pc.if_else(self.masks[-1], text, pa.scalar(None, pa.string()))
        try:
            times = usable.cast(UTC_TS)
        except pa.ArrowInvalid:  # a day past its month's end (Feb 30): find it, one by one
            values = usable.to_pylist()
            for i, value in enumerate(values):
                if value is not None and not _parses(value):
                    values[i] = None
                    self.unfit(i)
            times = pa.array(values, pa.string()).cast(UTC_TS)
        latest = pa.scalar(self.ingested_at + FUTURE_SLACK, UTC_TS)
        earliest = pa.scalar(EARLIEST_EVENT_TIME, UTC_TS)
        self.masks.append(pc.and_(pc.greater_equal(times, earliest), pc.less_equal(times, latest)))
        return times


class _PlainChunk(_Chunk):
    """`_Chunk` of `PlainRecord`s: their types are sure, nested values are JSON text already."""

    def flat(self) -> dict[str, pa.Array]:
        converted = pa.array(list(map(flat_values, self.records)), type=_FLAT)
        return dict(zip(_FLAT.names, converted.flatten(), strict=True))

    def nested(self) -> tuple[dict[str, pa.Array | pa.ChunkedArray], list[Any]]:
        texts = {name: nested_column(self.records, name) for name in NESTED_FIELDS}
        identity = texts["userIdentity"]
        not_object = pc.invert(pc.fill_null(pc.starts_with(identity, "{"), True))
        if pc.any(not_object).as_py():  # userIdentity must be an object
            for i in pc.indices_nonzero(not_object).to_pylist():
                self.unfit(i)
            texts["userIdentity"] = pc.if_else(not_object, pa.scalar(None, pa.string()), identity)
        return texts, [r.sessionCredentialFromConsole for r in self.records]


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


def _finish(part: pa.Table, ingested_at: datetime) -> pa.Table:
    """The lake schema's columns of converted plain records (and `_position`)."""
    n = part.num_rows
    columns = {name: part[name] for name in part.column_names}
    columns["event_id_derived"] = _constant(n, False, pa.bool_())
    columns["ingested_at"] = _constant(n, ingested_at, UTC_TS)
    columns["extra"] = pa.nulls(n, pa.string())
    columns["event_name_base"] = _per_distinct(part["event_name"], base_event_name, pa.string())
    columns["source_is_ip"] = _per_distinct(part["source_ip_address"], looks_like_ip, pa.bool_())
    columns.update(_identity_columns(part["user_identity"]))
    return pa.table(
        [columns[name] for name in _WITH_POSITION.names], names=_WITH_POSITION.names
    ).cast(_WITH_POSITION)


def _identity_columns(texts: pa.ChunkedArray) -> dict[str, pa.Array]:
    """`IDENTITY_COLUMNS` from each row's userIdentity JSON: derived once per distinct text
    (hashed by Arrow: one principal makes thousands of calls), then spread with `take`."""
    encoded = texts.combine_chunks().dictionary_encode(null_encoding="encode")
    distinct = [identity_columns(text) for text in encoded.dictionary.to_pylist()]
    derived = pa.Table.from_pylist(distinct, schema=_DERIVED_IDENTITY).take(encoded.indices)
    return {name: derived[name] for name in _DERIVED_IDENTITY.names}


def _parses(text: str) -> bool:
    """True when both Arrow and `datetime.fromisoformat` read `text`."""
    try:
        pa.scalar(text).cast(UTC_TS)
        datetime.fromisoformat(text)
    except ValueError:  # pa.ArrowInvalid is one
        return False
    return True


def _constant(n: int, value: object, dtype: pa.DataType) -> pa.Array:
    return pc.fill_null(pa.nulls(n, dtype), pa.scalar(value, dtype))


def _per_distinct(
    values: pa.ChunkedArray, fn: Callable[[Any], Any], dtype: pa.DataType
) -> pa.Array:
    """`fn` of each value, called once per distinct value (None included)."""
    encoded = values.combine_chunks().dictionary_encode(null_encoding="encode")
    mapped = pa.array([fn(v) for v in encoded.dictionary.to_pylist()], dtype)
    return mapped.take(encoded.indices)


class _Rows:
    """Rows `normalize_event` made one by one, as a table of the lake schema; the identity
    columns are built once per distinct userIdentity and spread with `take`."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.identity_ids: list[int] = []
        self.identities: dict[str | None, int] = {}

    def add(self, row: dict[str, Any], identity: str | None) -> None:
        self.rows.append(row)
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


def _raw_record(record: object) -> str:
    try:
        return orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS).decode()[: 1 << 20]
    except (TypeError, RecursionError):
        return repr(record)[: 1 << 20]
