"""Every object is read within limits: bombs stop at the limit, unread, and say so."""

from __future__ import annotations

import gzip
import json
import time

import orjson
import pytest

from tests.factories import cloudtrail_event
from tests.reliability.bombs import MIB, gzip_bomb, long_string_bomb, whitespace_bomb
from trailguard.pipeline.ingest.decode import decode_object
from trailguard.pipeline.ingest.decoded import MAX_BAD_RECORDS, WHOLE_OBJECT
from trailguard.pipeline.ingest.limits import (
    COUNT_VALUES_ABOVE,
    DEFAULT_LIMITS,
    ObjectTooLarge,
    ReadLimits,
    inflate,
    too_costly,
)

SMALL = ReadLimits(object_bytes=4 * MIB, record_bytes=64 << 10)


def compact(*records: dict[str, object]) -> bytes:
    return orjson.dumps({"Records": list(records)})


def test_the_defaults_are_far_above_what_cloudtrail_writes() -> None:
    assert (DEFAULT_LIMITS.object_bytes, DEFAULT_LIMITS.record_bytes) == (256 * MIB, 16 * MIB)


def test_inflating_a_10_gib_bomb_stops_at_the_limit_in_a_fraction_of_a_second() -> None:
    bomb = whitespace_bomb(10 << 10, orjson.dumps(cloudtrail_event()))
    assert len(bomb) < 12 * MIB
    started = time.monotonic()

    with pytest.raises(ObjectTooLarge, match="decompresses to more than 4,194,304 bytes"):
        inflate(bomb, SMALL.object_bytes)

    assert time.monotonic() - started < 1.0  # 4 MiB inflated, not 10 GiB


def test_a_gzip_within_the_limit_inflates_whole_even_in_several_members() -> None:
    text = compact(cloudtrail_event())
    assert inflate(gzip.compress(text[:10]) + gzip.compress(text[10:]), len(text)) == (text, None)


def test_a_gzip_of_several_members_counts_them_all_against_the_limit() -> None:
    member = gzip_bomb(3)
    with pytest.raises(ObjectTooLarge):
        inflate(member + member, SMALL.object_bytes)  # 6 MiB in two members of 3


def test_a_cut_or_corrupt_gzip_gives_what_came_before_the_damage_and_why() -> None:
    data = gzip.compress(compact(*[cloudtrail_event() for _ in range(50)]))
    text, problem = inflate(data[:-200], SMALL.object_bytes)
    assert text and problem == "truncated gzip stream (object ends before the gzip trailer)"
    _, problem = inflate(data[:20] + b"\xff" * 40, SMALL.object_bytes)
    assert problem is not None and problem.startswith("corrupt gzip stream")


@pytest.mark.parametrize(
    ("bomb", "reason"),
    [
        (whitespace_bomb(10 << 10, b'{"eventName":"A"}'), "decompresses to more than 4,194,304"),
        (long_string_bomb(1536), "decompresses to more than 4,194,304"),  # one 1.5 GiB string
        (b'{"Records":[' + b" " * (5 * MIB) + b"]}", "is more than 4,194,304 bytes"),
    ],
    ids=["10 GiB of whitespace", "a 1.5 GiB string", "5 MiB uncompressed"],
)
def test_an_object_past_the_limit_is_rejected_whole_unread_with_the_limit_named(
    bomb: bytes, reason: str
) -> None:
    decoded = decode_object(bomb, plain=True, limits=SMALL)

    assert (decoded.records, decoded.plain, decoded.size) == ([], None, 0)
    [rejected] = decoded.rejected
    assert rejected.record_index == WHOLE_OBJECT
    assert reason in rejected.reason
    assert "TRAILGUARD_MAX_OBJECT_BYTES" in rejected.reason


def test_text_packing_millions_of_tiny_values_is_rejected_before_it_is_parsed() -> None:
    # 5 MiB of `{}` would be ~1.7 million dicts (~120 MiB of Python objects) for 5 MiB of text.
    text = b'{"Records":[' + b"{}," * (5 * MIB // 3) + b"{}]}"
    limits = ReadLimits(object_bytes=8 * MIB, record_bytes=SMALL.record_bytes)

    decoded = decode_object(text, limits=limits)

    [rejected] = decoded.rejected
    assert rejected.record_index == WHOLE_OBJECT
    assert "JSON values into" in rejected.reason and "not read" in rejected.reason


def test_cloudtrail_text_of_any_size_within_the_limit_is_cheap_enough_to_parse() -> None:
    records = [cloudtrail_event(requestParameters={"bucketName": f"b{i}"}) for i in range(5000)]
    text = compact(*records)
    assert len(text) > COUNT_VALUES_ABOVE  # large enough to be counted
    limits = ReadLimits(object_bytes=len(text), record_bytes=SMALL.record_bytes)

    assert too_costly(text) is None
    assert len(decode_object(text, plain=True, limits=limits).plain or []) == 5000


BIG = cloudtrail_event(requestParameters={"policy": "x" * (100 << 10)})  # ~100 KB, past 64 KB


@pytest.mark.parametrize(
    "text",
    [
        compact(cloudtrail_event(), BIG, cloudtrail_event()),  # the fast path's shape
        json.dumps({"Records": [cloudtrail_event(), BIG, cloudtrail_event()]}, indent=1).encode(),
        "\n".join(json.dumps(r) for r in (cloudtrail_event(), BIG, cloudtrail_event())).encode(),
        compact(cloudtrail_event(), BIG, cloudtrail_event())[:-2],  # damaged: salvaged
    ],
    ids=["compact", "pretty", "ndjson", "truncated"],
)
def test_a_record_past_the_record_limit_is_rejected_alone(text: bytes) -> None:
    decoded = decode_object(text, plain=True, limits=SMALL)

    assert decoded.plain is None  # never the fast path: it would keep the record
    assert [index for index, _ in decoded.records] == [0, 2]
    big = [r for r in decoded.rejected if r.record_index == 1]
    assert len(big) == 1 and "over the record limit of 65,536" in big[0].reason


def test_an_object_with_more_bad_records_than_the_cap_is_rejected_whole() -> None:
    lines = [b"not json"] * (MAX_BAD_RECORDS + 1) + [orjson.dumps(cloudtrail_event())]

    decoded = decode_object(b"\n".join([orjson.dumps(cloudtrail_event()), *lines]))

    [rejected] = decoded.rejected
    assert rejected.record_index == WHOLE_OBJECT
    assert rejected.reason.startswith(f"more than {MAX_BAD_RECORDS:,} of its records")
    assert decoded.records == []
