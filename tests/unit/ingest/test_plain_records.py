"""The fast path: plain CloudTrail documents read straight into typed records, and only those."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.factories import DELETE, assumed_role_identity, cloudtrail_event
from trailguard.pipeline.ingest import plain_records
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.normalize import normalize_record
from trailguard.pipeline.ingest.plain_records import decode_plain, nested_column
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import SCHEMA

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def document(*records: dict[str, Any]) -> bytes:
    return orjson.dumps({"Records": list(records)})


def test_a_cloudtrail_object_is_read_by_the_fast_path() -> None:
    records = [cloudtrail_event(eventName=f"Call{i}") for i in range(3)]
    decoded = decode_object(gzip.compress(document(*records)), plain=True)

    assert decoded.plain is not None
    assert [r.eventName for r in decoded.plain] == ["Call0", "Call1", "Call2"]
    assert decoded.records == [] and not decoded.rejected


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(orjson.dumps([cloudtrail_event()]), id="a bare array"),
        pytest.param(
            orjson.dumps(cloudtrail_event()) + b"\n" + orjson.dumps(cloudtrail_event()),
            id="NDJSON",
        ),
        pytest.param(document(cloudtrail_event(odd="field")), id="a field the schema lacks"),
        pytest.param(
            document(cloudtrail_event(eventTime=1_791_208_800)), id="a number where text belongs"
        ),
        pytest.param(
            document(cloudtrail_event(readOnly="true")), id="text where a boolean belongs"
        ),
        pytest.param(
            document(cloudtrail_event(eventTime=DELETE, **{"@timestamp": "2020-09-14T00:44:23Z"})),
            id="@timestamp instead of eventTime",
        ),
        pytest.param(
            b'{"Records":[{"eventName":"A","requestParameters":{"b":"\xff"}}]}', id="not UTF-8"
        ),
        pytest.param(
            b'{"Records":[{"eventName":"A","requestParameters":{"b":"\\ud800"}}]}',
            id="a lone surrogate",
        ),
        pytest.param(
            b'{"Records":[{"eventName":"A","requestParameters":'
            + b"[" * 2000
            + b"]" * 2000
            + b"}]}",
            id="nested 2000 deep",
        ),
        pytest.param(b'{"Records":[{"eventName":"A"}],"Other":1}', id="a second key"),
        pytest.param(b'{"Records":[{"eventName":"A"}]} trailing', id="text after the document"),
        pytest.param(b'{"digestStartTime":"2026-10-05T14:00:00Z"}', id="a digest file"),
    ],
)
def test_anything_but_a_plain_document_is_left_to_the_general_path(data: bytes) -> None:
    assert decode_plain(data) is None
    general = decode_object(data)
    assert decode_object(data, plain=True) == general


def nested_texts(*values: Any, raw: bytes | None = None) -> list[str | None]:
    records = [cloudtrail_event(requestParameters=v) for v in values]
    plain = decode_plain(raw if raw is not None else document(*records))
    assert plain is not None
    return nested_column(plain, "requestParameters").to_pylist()


def test_nested_values_are_kept_as_their_json_text_and_null_as_null() -> None:
    value = {"bucketName": "logs", "key": "a b/é", "n": [1, 2.5, True, None]}
    assert nested_texts(value, None, DELETE) == [orjson.dumps(value).decode(), None, None]


def test_more_text_than_one_arrow_array_holds_comes_back_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    values = [{"n": i} for i in range(5)]
    expected = nested_texts(*values)
    monkeypatch.setattr(plain_records, "MAX_ARRAY_TEXT", 10)  # as if 2 GiB
    assert nested_texts(*values) == expected


VALUE = {"sessionToken": "FQo=", "path": "/a/b", "name": "café", "list": [1, 2]}
EVENT = cloudtrail_event(requestParameters=VALUE)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(json.dumps({"Records": [EVENT]}, indent=2), id="pretty-printed"),
        pytest.param(
            json.dumps({"Records": [EVENT]}, ensure_ascii=False), id="a space after : and ,"
        ),
        pytest.param(
            json.dumps({"Records": [EVENT]}, separators=(",", ": "), ensure_ascii=False),
            id="a space after :",
        ),
        pytest.param(json.dumps({"Records": [EVENT]}, separators=(",", ":")), id="ASCII escapes"),
        pytest.param(
            orjson.dumps({"Records": [EVENT]}).decode().replace("FQo=", "FQo\\u003d"),
            id="old CloudTrail's escaped =",
        ),
        pytest.param(
            orjson.dumps({"Records": [EVENT]}).decode().replace("/a/b", "\\/a\\/b"),
            id="escaped slashes",
        ),
    ],
)
def test_documents_not_written_compactly_are_left_to_the_general_path(text: str) -> None:
    # Their nested values' text would not be what `field_values.to_json_text` writes.
    assert decode_plain(text.encode()) is None
    (_, record), *_ = decode_object(text.encode(), plain=True).records
    assert record["requestParameters"] == VALUE


def test_backslashes_json_requires_keep_a_document_on_the_fast_path() -> None:
    event = cloudtrail_event(requestParameters={"policy": '{"a": "b\\c"}', "line": "x\ny"})
    plain = decode_plain(document(event))
    assert plain is not None
    assert orjson.loads(bytes(plain[0].requestParameters)) == event["requestParameters"]


def test_a_user_identity_that_is_not_an_object_is_left_to_normalize_record() -> None:
    odd = cloudtrail_event(userIdentity="not an object")
    plain = decode_plain(document(odd))
    good = decode_plain(document(cloudtrail_event(userIdentity=assumed_role_identity())))
    assert plain is not None and good is not None
    assert bytes(plain[0].userIdentity) == b'"not an object"'  # read; `PlainChunk` refuses it
    assert orjson.loads(bytes(good[0].userIdentity)) == assumed_role_identity()

    ref = ObjectRef(uri="x.json", key="x.json", size=1, version="v1")
    batch = to_batch("source", [(ref, document(odd))], NOW)
    row = normalize_record(odd, "x.json", NOW)  # the string is kept in `extra`, not guessed at
    assert batch.table.select(SCHEMA.names).to_pylist() == [row]
