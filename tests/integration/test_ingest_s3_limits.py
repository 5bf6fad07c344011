"""An S3 object is read within the object limit even when it grew after it was listed: the GET
asks for a byte range, and an object over the limit is quarantined with its reason."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.factories import cloudtrail_event
from tests.integration.ingest_helpers import event_ids, lake_query
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.limits import ObjectTooLarge, ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped
from trailguard.pipeline.ingest.sources.s3 import S3Source

PREFIX = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/"
LIMIT = 64 << 10  # 64 KiB: small objects stay under it, a grown one passes it


def _log(events: list[dict[str, Any]]) -> bytes:
    return gzip.compress(json.dumps({"Records": events}).encode())


def test_an_object_that_grew_past_the_limit_after_listing_is_quarantined_not_read(
    s3_bucket: tuple[Any, str],
    tmp_path: Path,
    s3_server: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client, bucket = s3_bucket
    good = [cloudtrail_event(eventName=f"Good{i}") for i in range(5)]
    client.put_object(Bucket=bucket, Key=PREFIX + "good.json.gz", Body=_log(good))
    client.put_object(Bucket=bucket, Key=PREFIX + "grows.json.gz", Body=_log(good[:1]))
    grown = b"\x00" * (LIMIT * 4)  # what the GET would hand back whole without a range
    listing = S3Source.list_objects

    def list_then_grow(self: S3Source) -> Iterator[ObjectRef | Skipped]:
        listed = list(listing(self))  # sizes as listed: both under the limit
        client.put_object(Bucket=bucket, Key=PREFIX + "grows.json.gz", Body=grown)
        yield from listed

    monkeypatch.setattr(S3Source, "list_objects", list_then_grow)
    lake = tmp_path / "lake"
    limits = ReadLimits(object_bytes=LIMIT, record_bytes=LIMIT)

    summary = ingest(f"s3://{bucket}", lake, endpoint_url=s3_server, workers=1, limits=limits)

    assert event_ids(lake) == sorted(e["eventID"] for e in good)  # the good object is in
    assert (summary.objects, summary.quarantined_objects, summary.failed) == (2, 1, [])
    ((key, index, reason),) = lake_query(
        lake, "SELECT source_key, record_index, reason FROM quarantine"
    )
    assert key.endswith("grows.json.gz") and index < 0
    assert f"object is more than {LIMIT:,} bytes, the limit" in reason
    state = lake_query(lake, "SELECT key, quarantined FROM ingest_state ORDER BY key")
    assert state == [(PREFIX + "good.json.gz", 0), (PREFIX + "grows.json.gz", 1)]


def test_a_ranged_read_returns_small_and_empty_objects_whole_and_refuses_a_grown_one(
    s3_bucket: tuple[Any, str], s3_server: str
) -> None:
    client, bucket = s3_bucket
    bodies = {"empty.json": b"", "exact.json": b"x" * 100, "grown.json": b"y" * 101}
    for name, body in bodies.items():
        client.put_object(Bucket=bucket, Key=name, Body=body)
    source = S3Source(f"s3://{bucket}", client, max_bytes=100)

    def ref(name: str) -> ObjectRef:  # listed before it grew: one byte
        return ObjectRef(f"s3://{bucket}/{name}", name, 1, "etag")

    assert source.read_object(ref("empty.json")) == b""  # S3 refuses a range of an empty object
    assert source.read_object(ref("exact.json")) == bodies["exact.json"]  # at the limit: read
    with pytest.raises(ObjectTooLarge, match="more than 100 bytes"):
        source.read_object(ref("grown.json"))
