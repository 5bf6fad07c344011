"""Hostile input, generated: records and objects no CloudTrail ever wrote must not hurt ingest.

Properties, over hypothesis-generated records and objects (missing and mistyped fields, huge
strings and arrays, deep nesting, odd Unicode, NUL bytes, lone surrogate escapes, numbers where
strings belong, SQL-looking text, `../` and absolute paths in every field):
- nothing raises, nothing hangs: every record becomes a row or a quarantine entry with a reason;
- a record that is valid (eventName, eventSource, a usable eventTime) is always kept, whatever
  its other fields hold, with its eventID as it was.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.batch import BatchResult, to_batch
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.decoded import WHOLE_OBJECT
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import SCHEMA

FUZZ = settings(
    max_examples=int(os.environ.get("TRAILGUARD_FUZZ_EXAMPLES", "100")),  # bench/ runs more
    deadline=None,  # a slow example is a finding for the hang test, not a flaky failure
    database=None,  # no example files written into the checkout
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
NOW = datetime(2026, 11, 1, tzinfo=UTC)
REF = ObjectRef(
    "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/x.json.gz",
    "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/x.json.gz",
    0,
    "v1",
)
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "../../../../etc/passwd",
    "/etc/shadow",
    "C:\\Windows\\System32",
    "'; DROP TABLE events; --",
    "' OR '1'='1",
    "\"); COPY events TO '/tmp/x'; --",
    "$window_start",
    "{events_glob}",
    "\u202egnp.exe",  # right-to-left override
    "\ufeff",  # byte order mark
    "ǅ𝔘𝔫𝔦🧨",
    "\u0085\u2028\u2029",
    "x" * 100_000,
]
SURROGATES = ["\ud800", "\udfff", "a\udc80b"]  # JSON allows the escapes; UTF-8 cannot hold them
FIELDS = [
    "eventVersion", "eventID", "eventTime", "eventSource", "eventName", "eventType",
    "awsRegion", "sourceIPAddress", "userAgent", "errorCode", "errorMessage", "requestID",
    "recipientAccountId", "readOnly", "managementEvent", "requestParameters",
    "responseElements", "resources", "additionalEventData", "tlsDetails", "userIdentity",
    "@timestamp", "EVENTNAME", "eventname", "extraField", "../key", "",
]  # fmt: skip
REQUIRED = ("eventName", "eventSource", "eventTime")
# Python's own JSON code (the salvage path; values orjson cannot write) stops near 1,000 levels,
# less the frames already on the stack; deeper records are quarantined with that reason (the
# `any_records` property checks it), records up to this depth are kept.
MAX_DEPTH = 800

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63, max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(HOSTILE_TEXT),
)


@dataclass(frozen=True)
class Deep:
    """A value nested `depth` levels deep (arrays and objects alternating), written by `encode`.

    Built as text, since Python's json cannot write (nor hypothesis print) ~1,000 levels.
    """

    depth: int

    def text(self) -> str:
        levels = range(self.depth - 1, -1, -1)  # outermost first
        opens = "".join("[" if level % 2 else '{"k": ' for level in levels)
        closes = "".join("]" if level % 2 else "}" for level in reversed(levels))
        return opens + '"bottom"' + closes


def nested(depth: int) -> Any:
    """`Deep(depth)` as a Python value (for depths Python can hold)."""
    return json.loads(Deep(depth).text())


values = st.one_of(
    scalars,
    st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner),
        max_leaves=20,
    ),
    st.integers(min_value=0, max_value=MAX_DEPTH).map(Deep),
    st.integers(min_value=1_000, max_value=50_000).map(lambda n: list(range(n))),  # huge arrays
)


@st.composite
def valid_records(draw: st.DrawFn) -> dict[str, Any]:
    """A valid record whose every optional field may hold anything JSON can say."""
    # (a blank eventID is replaced by a derived one, by design: not this property's concern)
    hostile_ids = [text for text in HOSTILE_TEXT[:-1] if text.strip()]
    event_id = draw(st.one_of(st.uuids().map(str), st.sampled_from(hostile_ids)))
    record = cloudtrail_event(eventID=event_id)
    optional = [f for f in FIELDS if f not in (*REQUIRED, "eventID", "EVENTNAME", "eventname")]
    for name in draw(st.lists(st.sampled_from(optional), max_size=8, unique=True)):
        record[name] = draw(values)
    record["eventName"] = draw(st.sampled_from(["ListUsers", "a\x00b", "'; DROP TABLE x; --"]))
    return record


@st.composite
def any_records(draw: st.DrawFn) -> Any:
    """Anything: a valid record mutated anywhere (required fields included), or not a record."""
    if draw(st.integers(0, 9)) == 0:
        return draw(values)
    record = cloudtrail_event()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=8, unique=True)):
        if draw(st.booleans()):
            record.pop(name, None)
        else:
            deep = st.integers(MAX_DEPTH, 1500).map(Deep)
            record[name] = draw(st.one_of(values, deep, st.sampled_from(SURROGATES)))
    return record


def encode(records: list[Any], shape: str) -> bytes:
    """An object holding `records`: CloudTrail's `{"Records": [...]}`, an array, or NDJSON."""
    if shape == "ndjson":
        return "\n".join(_dumps(r) for r in records).encode()
    document: Any = records if shape == "array" else {"Records": records}
    body = _dumps(document).encode()
    return gzip.compress(body) if shape == "gzip" else body


_DEEP = re.compile(r'"\\u0000deep(\d+)\\u0000"')


def _dumps(value: Any) -> str:
    """JSON text, with each `Deep` written out as its nested text."""
    text = json.dumps(value, default=lambda deep: f"\x00deep{deep.depth}\x00")
    return _DEEP.sub(lambda match: Deep(int(match.group(1))).text(), text)


def ingest_object(body: bytes) -> BatchResult:
    return to_batch("s3://trail/", [(REF, body)], NOW)


shapes = st.sampled_from(["records", "array", "ndjson", "gzip"])


@pytest.mark.slow
@FUZZ
@given(records=st.lists(any_records(), min_size=1, max_size=6), shape=shapes)
def test_every_record_becomes_a_row_or_a_quarantine_entry_with_a_reason(
    records: list[Any], shape: str
) -> None:
    result = ingest_object(encode(records, shape))

    assert result.table.select(SCHEMA.names).schema == SCHEMA
    per_record = [q for q in result.quarantined if q.record_index != WHOLE_OBJECT]
    assert all(q.reason.strip() for q in result.quarantined)
    assert result.table.num_rows + len(per_record) == result.records
    if shape != "ndjson" or len(records) > 1:  # one NDJSON line is a document of its own
        assert result.records == len(records) or any(
            q.record_index == WHOLE_OBJECT for q in result.quarantined
        )


@pytest.mark.slow
@FUZZ
@given(records=st.lists(valid_records(), min_size=1, max_size=5), shape=shapes)
def test_every_valid_record_is_kept_whatever_its_other_fields_hold(
    records: list[Any], shape: str
) -> None:
    result = ingest_object(encode(records, shape))

    reasons = [q.reason for q in result.quarantined]
    assert result.table.num_rows == len(records), reasons
    assert result.table["event_id"].to_pylist() == [r["eventID"] for r in records]
    assert isinstance(result.table, pa.Table)


@pytest.mark.slow
@FUZZ
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_decoder(data: bytes) -> None:
    decoded = decode_object(data)
    assert decoded.records or decoded.rejected or decoded.is_digest


@pytest.mark.slow
@FUZZ
@given(
    records=st.lists(valid_records(), min_size=2, max_size=5),
    cut=st.floats(min_value=0.05, max_value=0.95),
    gzipped=st.booleans(),
)
def test_a_truncated_object_keeps_what_precedes_the_cut(
    records: list[dict[str, Any]], cut: float, gzipped: bool
) -> None:
    body = _dumps({"Records": records}).encode()
    stop = math.floor(len(body) * cut)
    complete = sum(1 for r in _record_ends(body, records) if r < stop)
    payload = (
        gzip.compress(body)[: len(gzip.compress(body)) * stop // len(body)]
        if gzipped
        else body[:stop]
    )

    result = ingest_object(payload)

    assert result.quarantined, "a truncated object never passes silently"
    if not gzipped:  # a gzip cut loses a stream-dependent tail; the text cut is exact
        assert result.table.num_rows >= complete


def _record_ends(body: bytes, records: list[dict[str, Any]]) -> list[int]:
    """Byte offset where each record's JSON ends inside `body`."""
    ends, position = [], 0
    for record in records:
        text = _dumps(record).encode()
        position = body.index(text, position) + len(text)
        ends.append(position)
    return ends


OK_RECORD = b'{"eventName":"Ok","eventSource":"s","eventTime":"2026-01-01","eventID":"ok"}'
BAD_RECORDS = {  # each crashed the whole batch, or lost the valid record after it, before
    "lone surrogate escape": b'{"eventName":"\\ud800","eventSource":"s","eventTime":"2026-01-01"}',
    "eventTime past a float": b'{"eventName":"x","eventSource":"s","eventTime":1'
    + b"0" * 5000
    + b"}",
    "nesting past the parser": b'{"eventName":"x","requestParameters":'
    + b'[{"a\\"]":"}"},' * 3000
    + b"1"
    + b"]" * 3000
    + b"}",
    "eventTime before year 1 in UTC": b'{"eventName":"x","eventSource":"s",'
    b'"eventTime":"0001-01-01T00:00:00+01:00"}',
    "eventTime after 9999 in UTC": b'{"eventName":"x","eventSource":"s",'
    b'"eventTime":"9999-12-31T23:59:59-23:59"}',
}


@pytest.mark.parametrize("bad", BAD_RECORDS.values(), ids=BAD_RECORDS.keys())
def test_a_record_past_a_limit_is_quarantined_and_its_valid_neighbour_kept(bad: bytes) -> None:
    result = ingest_object(b'{"Records": [' + bad + b", " + OK_RECORD + b"]}")

    assert result.table["event_id"].to_pylist() == ["ok"]
    ((index, reason),) = [(q.record_index, q.reason) for q in result.quarantined]
    assert index == 0 and reason


def test_a_big_integer_is_read_alike_by_the_fast_and_the_salvage_path() -> None:
    record = cloudtrail_event(eventVersion=-(2**63) - 1, eventID="big")
    body = json.dumps({"Records": [record]}).encode()

    fast, salvaged = ingest_object(body), ingest_object(body[:-1])  # cut: the salvage path
    huge = ingest_object(
        b'{"Records": ['
        + body[13:-2].replace(b"-9223372036854775809", b"9" * 5000)
        + b", "
        + OK_RECORD
        + b"]}"
    )

    assert fast.table["event_version"].to_pylist() == ["-9.223372036854776e+18"]
    assert salvaged.table["event_version"].to_pylist() == fast.table["event_version"].to_pylist()
    assert huge.table["event_id"].to_pylist() == ["big", "ok"]  # 5,000 digits: inf, not a loss


def test_an_object_cut_exactly_between_two_records_is_reported_truncated() -> None:
    # Found by the truncation property at 500 examples: the salvage took the end of the text
    # for the end of the array, and a cut object passed as complete.
    first, second = cloudtrail_event(eventID="first"), cloudtrail_event(eventID="second")
    body = json.dumps({"Records": [first, second]}).encode()
    cut = body.index(b"}, {") + 1

    for payload in (body[:cut], body[: cut + 1], body[: cut + 2]):
        result = ingest_object(payload)
        assert result.table["event_id"].to_pylist() == ["first"]
        ((index, reason),) = [(q.record_index, q.reason) for q in result.quarantined]
        assert index == WHOLE_OBJECT and reason.startswith("truncated")


@pytest.mark.parametrize(
    "body",
    [b"[]\nnull", b"[]garbage", b'{"Records": []} trailing', b'{"Records": [' + OK_RECORD + b"]"],
    ids=["array then a line", "array then text", "document then text", "closing brace cut"],
)
def test_damage_after_the_records_array_is_reported_not_ignored(body: bytes) -> None:
    # Found by the any-record property at 2,000 examples: `[]\\nnull` gave nothing, silently.
    result = ingest_object(body)

    assert [q.record_index for q in result.quarantined] == [WHOLE_OBJECT]
    assert result.table.num_rows == body.count(b'"ok"')


def test_a_user_identity_nested_past_what_orjson_reads_back_is_quarantined_not_a_crash() -> None:
    # Found by the any-record property at 2,000 examples: the identity columns parse the stored
    # userIdentity text again, and 1,025 levels crashed the whole batch there.
    deep = _dumps({"Records": [cloudtrail_event(userIdentity=Deep(1025))]}).encode()

    result = ingest_object(deep[:-2] + b", " + OK_RECORD + b"]}")

    assert result.table["event_id"].to_pylist() == ["ok"]
    assert [q.record_index for q in result.quarantined] == [0]
