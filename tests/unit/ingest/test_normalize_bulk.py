"""Bulk normalization gives exactly the rows of `normalize_record`; odd records are left to it."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import DELETE, assumed_role_identity, cloudtrail_event
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.field_values import RecordError
from trailguard.pipeline.ingest.json_fallback import json_int
from trailguard.pipeline.ingest.normalize import JSON_FIELDS, normalize_record
from trailguard.pipeline.ingest.normalize_bulk import BulkRows
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import SCHEMA

NOW = datetime(2026, 11, 1, tzinfo=UTC)
KEY = "s3://trail/AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/x.json.gz"


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth):
        value = [value]
    return value


# Records one field away from plain: each must get the row `normalize_record` gives, or the
# same quarantine.
ODD: list[dict[str, Any]] = [
    cloudtrail_event(eventTime="2026-10-05T14:03:27.5Z"),
    cloudtrail_event(eventTime="2026-10-05T16:03:27+02:00"),
    cloudtrail_event(eventTime="2026-02-30T14:03:27Z"),  # no such day
    cloudtrail_event(eventTime="0000-10-05T14:03:27Z"),
    cloudtrail_event(eventTime=1_791_208_800),
    cloudtrail_event(eventTime=DELETE, **{"@timestamp": "2020-09-14T00:44:23.000Z"}),
    cloudtrail_event(eventID=DELETE),
    cloudtrail_event(eventID="  "),
    cloudtrail_event(eventID=" padded "),
    cloudtrail_event(eventID=1111, recipientAccountId=111122223333),
    cloudtrail_event(eventName=""),
    cloudtrail_event(eventSource=None),
    cloudtrail_event(userAgent={"odd": True}, readOnly="sometimes"),
    cloudtrail_event(sessionCredentialFromConsole="true", managementEvent="FALSE"),
    cloudtrail_event(readOnly=1),
    cloudtrail_event(userIdentity="not an object"),
    cloudtrail_event(userIdentity=assumed_role_identity()),
    cloudtrail_event(requestParameters=nested(300)),  # past orjson's writer, not its reader
    cloudtrail_event(userIdentity={"type": "IAMUser", "deep": nested(300)}),
    cloudtrail_event(p_log_type="AWS.CloudTrail"),
    cloudtrail_event(eventName="UpdateFunctionCode20150331v2", sourceIPAddress="2001:db8::1"),
    {k.lower(): v for k, v in cloudtrail_event().items()},
    {"hello": "world"},
]


def rows_one_by_one(records: list[Any]) -> tuple[list[dict[str, Any]], list[int]]:
    rows = []
    body = json.dumps({"Records": records}).encode()
    decoded = decode_object(body)  # as ingest reads them (2**70: a float; Infinity: not JSON)
    failed = [rejected.record_index for rejected in decoded.rejected]
    for i, record in decoded.records:
        try:
            rows.append(normalize_record(record, KEY, NOW))
        except (RecordError, TypeError, ValueError, RecursionError):
            failed.append(i)
    return rows, failed


def batch_rows(
    records: list[Any], style: Callable[[Any], str] = json.dumps
) -> tuple[list[dict[str, Any]], list[int]]:
    ref = ObjectRef(uri=KEY, key=KEY[len("s3://trail/") :], size=1, version="v1")
    body = style({"Records": records}).encode()
    batch = to_batch("s3://trail/", [(ref, body)], NOW)
    return batch.table.select(SCHEMA.names).to_pylist(), [q.record_index for q in batch.quarantined]


def test_plain_records_are_converted_in_bulk() -> None:
    records = [cloudtrail_event(), cloudtrail_event(userIdentity=assumed_role_identity())]
    rows = BulkRows(NOW)
    rows.add(records, KEY)

    table, positions = rows.finish()

    assert (positions.to_pylist(), rows.slow_positions, rows.failures) == ([0, 1], [], [])
    assert table.to_pylist() == [normalize_record(r, KEY, NOW) for r in records]


def test_odd_records_are_left_to_normalize_record_and_their_rows_put_back_in_place() -> None:
    plain = [cloudtrail_event() for _ in ODD]
    records = [r for pair in zip(plain, ODD, strict=True) for r in pair]

    rows = BulkRows(NOW)
    rows.add(records, KEY)
    rows.finish()

    assert not set(rows.slow_positions) & set(range(0, len(records), 2))  # plain: all in bulk
    assert batch_rows(records) == rows_one_by_one(records)


def test_records_are_converted_a_chunk_at_a_time_and_kept_in_order() -> None:
    records = [cloudtrail_event(eventTime=f"2026-10-05T14:03:{i % 60:02d}Z") for i in range(1500)]
    records[700] = cloudtrail_event(eventID=DELETE)  # one odd record, in the second chunk

    assert batch_rows(records) == rows_one_by_one(records)


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=8,
)
FIELDS = [
    "eventID", "eventTime", "eventName", "eventSource", "userAgent", "readOnly",
    "sessionCredentialFromConsole", "requestParameters", "userIdentity", "resources", "odd",
]  # fmt: skip
TIMES = ["2026-10-05T14:03:27Z", "2026-10-05T14:03:27.123456Z", "2026-13-05T14:03:27Z", ""]


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record = cloudtrail_event()
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=3, unique=True)):
        record[name] = draw(st.one_of(values, st.sampled_from(TIMES)))
    return record


@settings(max_examples=150, deadline=None, database=None)
@given(batch=st.lists(records(), min_size=1, max_size=8))
def test_any_mix_of_records_gives_the_rows_and_quarantine_of_normalize_record(
    batch: list[dict[str, Any]],
) -> None:
    assert batch_rows(batch) == rows_one_by_one(batch)


# How documents are written: as CloudTrail writes them (compact, UTF-8), pretty-printed, and
# compact with every non-ASCII character escaped. The fast path keeps nested JSON as sent, so
# its text may differ from `normalize_record`'s in a number's form ("1e-05" for 1e-5), never in
# what the JSON says.
STYLES: dict[str, Callable[[Any], str]] = {
    "cloudtrail": lambda doc: json.dumps(doc, separators=(",", ":"), ensure_ascii=False),
    "pretty": lambda doc: json.dumps(doc, indent=2),
    "escaped": lambda doc: json.dumps(doc, separators=(",", ":")),
}
JSON_COLUMNS = [*JSON_FIELDS.values(), "user_identity", "extra"]


def as_json(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its JSON text parsed (numbers read as ingest reads them: past 64 bits a
    float), so rows compare by what their JSON says."""
    parsed = dict(row)
    for name in JSON_COLUMNS:
        if row[name] is not None:
            parsed[name] = json.loads(row[name], parse_int=json_int)
    return parsed


@settings(max_examples=150, deadline=None, database=None)
@given(batch=st.lists(records(), min_size=1, max_size=8), style=st.sampled_from(sorted(STYLES)))
def test_any_document_style_gives_the_rows_of_normalize_record(
    batch: list[dict[str, Any]], style: str
) -> None:
    rows, quarantined = batch_rows(batch, STYLES[style])
    expected, failed = rows_one_by_one(batch)
    assert quarantined == failed
    assert [as_json(r) for r in rows] == [as_json(r) for r in expected]
