"""Decoding objects: every shape people have, and damaged objects give up only what is damaged."""

from __future__ import annotations

import gzip
import json

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.decoded import WHOLE_OBJECT


def records_doc(n: int) -> tuple[list[dict[str, object]], bytes]:
    records = [cloudtrail_event(eventName=f"Call{i}") for i in range(n)]
    return records, json.dumps({"Records": records}).encode()


def test_a_cloudtrail_object_gives_its_records_in_order() -> None:
    records, data = records_doc(3)
    decoded = decode_object(gzip.compress(data))
    assert [r for _, r in decoded.records] == records
    assert [i for i, _ in decoded.records] == [0, 1, 2]
    assert not decoded.rejected


def test_gzip_is_recognised_by_content_not_by_name() -> None:
    _, data = records_doc(2)
    assert len(decode_object(data).records) == len(decode_object(gzip.compress(data)).records) == 2


def test_a_bare_json_array_and_ndjson_lines_are_accepted() -> None:
    records = [cloudtrail_event(), cloudtrail_event()]
    assert len(decode_object(json.dumps(records).encode()).records) == 2
    ndjson = "\n".join(json.dumps(r) for r in records).encode()
    assert [r for _, r in decode_object(ndjson).records] == records


def test_a_bad_line_in_ndjson_is_rejected_alone() -> None:
    lines = [
        json.dumps(cloudtrail_event()),
        '{"eventName": "Broken", ',
        json.dumps(cloudtrail_event()),
    ]
    decoded = decode_object("\n".join(lines).encode())
    assert [i for i, _ in decoded.records] == [0, 2]
    assert [(r.record_index, r.reason.split(":")[0]) for r in decoded.rejected] == [
        (1, "invalid JSON on line 2")
    ]


def test_a_truncated_gzip_keeps_every_record_before_the_cut() -> None:
    records, data = records_doc(50)
    cut = gzip.compress(data)[:-200]
    decoded = decode_object(cut)
    assert 0 < len(decoded.records) < 50
    assert [r for _, r in decoded.records] == records[: len(decoded.records)]
    reasons = [r.reason for r in decoded.rejected]
    assert any("truncated gzip" in reason for reason in reasons)
    assert decoded.rejected[0].record_index == WHOLE_OBJECT


def test_invalid_json_mid_array_keeps_the_records_before_it() -> None:
    _, data = records_doc(3)
    text = data.decode()
    broken = text.replace('"eventName": "Call2"', '"eventName": Call2', 1).encode()
    decoded = decode_object(broken)
    assert len(decoded.records) == 2
    assert decoded.rejected[0].record_index == 2
    assert "invalid JSON at record 2" in decoded.rejected[0].reason


def test_a_record_with_non_utf8_bytes_is_rejected_and_its_neighbours_kept() -> None:
    _, data = records_doc(3)
    bad = data.replace(b"Call1", b"Call\xff1", 1)
    decoded = decode_object(bad)
    assert [i for i, _ in decoded.records] == [0, 2]
    assert decoded.rejected[0].record_index == 1
    assert "non-UTF-8 byte 0xff" in decoded.rejected[0].reason
    assert "\\xff" in decoded.rejected[0].raw


def test_digests_are_recognised_and_hold_no_records() -> None:
    digest = {"awsAccountId": "111122223333", "digestStartTime": "2026-10-05T13:00:00Z"}
    decoded = decode_object(json.dumps(digest).encode())
    assert decoded.is_digest and not decoded.records and not decoded.rejected


def test_a_json_document_that_is_not_cloudtrail_is_rejected_as_a_whole() -> None:
    decoded = decode_object(b'{"Version": "2012-10-17", "Statement": []}')
    assert not decoded.records
    assert decoded.rejected[0].record_index == WHOLE_OBJECT
    assert decoded.rejected[0].reason.startswith("not CloudTrail")


def test_garbage_and_empty_objects_are_rejected_not_raised() -> None:
    for data in (b"", b"   ", b"\x00\x01binary", b"not json at all", gzip.compress(b"")):
        decoded = decode_object(data)
        assert not decoded.records
        assert decoded.rejected and decoded.rejected[0].record_index == WHOLE_OBJECT
