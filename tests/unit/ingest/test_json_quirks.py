"""What JSON leaves to its readers is settled so that no record vanishes without a trace.

A repeated top-level `Records` key: orjson and msgspec keep the last array only, so the records
of the first would be dropped uncounted; every array's records are read, in order. A number past a
double's range (`1e999`): orjson refuses it and Python reads infinity, which is written back as
`null`; its text is kept as sent. `NaN` and `Infinity` are not JSON: their record is quarantined.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.batch import BatchResult, to_batch
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.sources.layout import ObjectRef

NOW = datetime(2026, 11, 1, tzinfo=UTC)
REF = ObjectRef("s3://t/AWSLogs/111122223333/x.json", "AWSLogs/111122223333/x.json", 1, "v1")
A, B, C = (cloudtrail_event(eventName=name) for name in ("First", "Second", "Third"))


def ingest_object(text: bytes) -> BatchResult:
    return to_batch("s3://t/", [(REF, text)], NOW)


def two_records_keys(first: list[Any], second: list[Any], pretty: bool) -> bytes:
    """`{"Records": first, "Records": second}`, written compactly or with spaces."""
    comma, colon = (", ", ": ") if pretty else (",", ":")
    one, two = (json.dumps(x, separators=(comma, colon)) for x in (first, second))
    return f'{{"Records"{colon}{one}{comma}"Records"{colon}{two}}}'.encode()


@pytest.mark.parametrize("pretty", [False, True], ids=["compact (fast path)", "spaced"])
def test_a_repeated_records_key_keeps_the_records_of_every_array_in_order(pretty: bool) -> None:
    text = two_records_keys([A, B], [C], pretty)

    batch = ingest_object(text)

    assert batch.table["event_name"].to_pylist() == ["First", "Second", "Third"]
    assert batch.table["_record_index"].to_pylist() == [0, 1, 2]
    assert batch.records == 3 and not batch.quarantined


def test_a_repeated_records_key_in_a_damaged_object_is_salvaged_array_after_array() -> None:
    text = two_records_keys([A, B], [C], pretty=True)[:-1]  # the closing brace lost

    decoded = decode_object(text)

    assert [r["eventName"] for _, r in decoded.records] == ["First", "Second", "Third"]
    assert [r.reason.split(":")[0] for r in decoded.rejected] == ["truncated"]
    assert decoded.notes == ["2 top-level Records arrays: all of them are read"]


def test_records_as_a_value_or_a_nested_key_are_not_taken_for_a_repeated_key() -> None:
    named = cloudtrail_event(eventName="Records", requestParameters={"Records": [1]})
    text = json.dumps({"Records": [named, A]}).encode()

    decoded = decode_object(text)

    assert [r["eventName"] for _, r in decoded.records] == ["Records", "First"]
    assert not decoded.notes


OVERFLOWING = {"limit": 1e308}  # written `1e+308`, changed below to 1e999: no double holds it


def with_overflow(text: bytes) -> bytes:
    return text.replace(b"1e+308", b"1e999")


@pytest.mark.parametrize(
    "write",
    [
        lambda doc: orjson.dumps(doc),  # the fast path keeps nested values as sent
        lambda doc: json.dumps(doc, indent=1).encode(),  # the general path
        lambda doc: b"\n".join(orjson.dumps(r) for r in doc["Records"]),  # NDJSON
    ],
    ids=["compact", "pretty", "ndjson"],
)
def test_a_number_past_a_double_keeps_its_text_in_every_path(write: Any) -> None:
    record = cloudtrail_event(requestParameters=OVERFLOWING, userIdentity__extra=OVERFLOWING)
    text = with_overflow(write({"Records": [record, A]}))
    assert b"1e999" in text

    batch = ingest_object(text)

    assert not batch.quarantined
    [params, none] = batch.table["request_parameters"].to_pylist()
    assert params == '{"limit":1e999}' and none is None
    assert '"extra":{"limit":1e999}' in batch.table["user_identity"][0].as_py()
    assert batch.table["identity_user_name"].to_pylist() == ["alice", "alice"]


def test_a_number_past_a_double_where_text_belongs_is_kept_as_that_text() -> None:
    text = json.dumps({"Records": [cloudtrail_event(userAgent=1.0)]}).replace("1.0", "1e999")

    batch = ingest_object(text.encode())

    assert batch.table["user_agent"].to_pylist() == ["1e999"]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json_and_quarantine_their_record(constant: str) -> None:
    bad = json.dumps(cloudtrail_event(requestParameters={"n": 0}))
    bad = bad.replace('"n": 0', f'"n": {constant}')
    text = f'{{"Records": [{bad}, {json.dumps(A)}]}}'.encode()

    batch = ingest_object(text)

    assert batch.table["event_name"].to_pylist() == ["First"]
    [entry] = batch.quarantined
    assert entry.record_index == 0 and f"{constant} is not JSON" in entry.reason
