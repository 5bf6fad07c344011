"""The columns of a chunk of plain records, converted by Arrow in one pass (pure).

A plain record has CloudTrail's own keys only, text where text belongs, booleans where booleans
belong, an `eventID` and an `eventTime` written as CloudTrail writes it. A chunk converts all of
its records at once and marks the rows that turn out not to be plain after all (`fine`): those
are `normalize_event`'s to convert, one by one (`pipeline.ingest.normalize_bulk`).
"""

from __future__ import annotations

from datetime import datetime
from itertools import repeat
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.ingest.field_values import EARLIEST_EVENT_TIME, FUTURE_SLACK
from trailguard.pipeline.ingest.normalize import BOOL_FIELDS, SCALAR_FIELDS
from trailguard.pipeline.ingest.plain_records import (
    FLAG_FIELDS,
    NESTED_FIELDS,
    TEXT_FIELDS,
    flat_values,
    nested_column,
)
from trailguard.pipeline.lake.schema import JSON_FIELDS, UTC_TS

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


class Chunk:
    """The columns of plain records, and which of them turned out not to be plain after all."""

    def __init__(self, records: list[Any], ingested_at: datetime) -> None:
        self.records = records  # dicts (`PlainChunk`: `PlainRecord`s)
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
        CloudTrail can have written (`field_values.check_event_time` says why), is unfit."""
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


class PlainChunk(Chunk):
    """`Chunk` of `PlainRecord`s: their types are sure, nested values are JSON text already."""

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


def _parses(text: str) -> bool:
    """True when both Arrow and `datetime.fromisoformat` read `text`."""
    try:
        pa.scalar(text).cast(UTC_TS)
        datetime.fromisoformat(text)
    except ValueError:  # pa.ArrowInvalid is one
        return False
    return True
