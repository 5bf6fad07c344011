"""A batch of objects becomes one Arrow table equal to normalizing each record on its own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import orjson

from tests.factories import cloudtrail_event
from tests.integration.ingest_helpers import read_records
from trailguard.pipeline.ingest.batch import read_batch, to_batch
from trailguard.pipeline.ingest.decoded import MAX_BAD_RECORDS, WHOLE_OBJECT
from trailguard.pipeline.ingest.limits import ObjectTooLarge, ReadLimits
from trailguard.pipeline.ingest.normalize import normalize_record
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.schema import SCHEMA

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def test_the_batch_table_holds_exactly_the_normalized_records(samples: Path) -> None:
    paths = sorted((samples / "flaws2-cloud-defender").rglob("*.json.gz"))
    paths += sorted((samples / "otrf-ec2-proxy-s3-exfil").glob("*.json"))
    fetched = [
        (ObjectRef(uri=str(p), key=p.name, size=1, version="v1"), p.read_bytes()) for p in paths
    ]

    batch = to_batch("source", fetched, NOW)

    expected = [normalize_record(r, str(p), NOW) for p in paths for r in read_records(p)]
    assert batch.table.select(SCHEMA.names).to_pylist() == expected
    assert batch.records == len(expected) == 37 + 103
    assert batch.table["_object_version"].unique().to_pylist() == ["v1"]


def test_an_unreadable_object_is_reported_and_the_others_kept(samples: Path) -> None:
    path = next((samples / "flaws2-cloud-defender").rglob("*.json.gz"))
    good = ObjectRef(uri=str(path), key=path.name, size=1, version="v1")
    bad = ObjectRef(uri="s3://b/gone.json.gz", key="gone.json.gz", size=1, version="v1")

    batch = to_batch("source", [(bad, OSError("connection reset")), (good, path.read_bytes())], NOW)

    assert batch.failed == [("s3://b/gone.json.gz", "OSError: connection reset")]
    assert batch.objects["key"].to_pylist() == [path.name]  # the failed one is not marked as read
    assert batch.table.num_rows == len(read_records(path))


class Folder:
    """A source whose reads are counted: what a batch does not read, it does not fetch."""

    name, remote = "file:///trail/", False

    def __init__(self, objects: dict[str, bytes]) -> None:
        self.objects, self.reads = objects, []

    def list_objects(self) -> Iterator[ObjectRef]:
        for key, body in self.objects.items():
            yield ObjectRef(uri=f"/trail/{key}", key=key, size=len(body), version="v1")

    def read_object(self, ref: ObjectRef) -> bytes:
        self.reads.append(ref.key)
        return self.objects[ref.key]


def document(*names: str) -> bytes:
    return orjson.dumps({"Records": [cloudtrail_event(eventName=n) for n in names]})


def test_an_object_listed_larger_than_the_limit_is_quarantined_unfetched_and_marked_read() -> None:
    source = Folder({"big.json": b" " * 5000, "good.json": document("A", "B")})
    limits = ReadLimits(object_bytes=4000, record_bytes=4000)

    batch = read_batch(source, list(source.list_objects()), NOW, limits)

    assert source.reads == ["good.json"]
    assert batch.table["event_name"].to_pylist() == ["A", "B"]
    [entry] = batch.quarantined
    assert (entry.source_key, entry.record_index) == ("/trail/big.json", WHOLE_OBJECT)
    assert "is more than 4,000 bytes, the limit" in entry.reason
    assert batch.objects.select(["key", "records", "quarantined"]).to_pylist() == [
        {"key": "big.json", "records": 0, "quarantined": 1},  # read: reruns pass it by
        {"key": "good.json", "records": 2, "quarantined": 0},
    ]


def test_a_source_that_finds_an_object_too_large_while_reading_quarantines_it() -> None:
    ref = ObjectRef(uri="/trail/grown.json", key="grown.json", size=10, version="v1")
    batch = to_batch("source", [(ref, ObjectTooLarge("object is more than 9 bytes"))], NOW)
    assert [(q.record_index, q.reason) for q in batch.quarantined] == [
        (WHOLE_OBJECT, "object is more than 9 bytes")
    ]
    assert batch.failed == [] and batch.objects["key"].to_pylist() == ["grown.json"]


def test_an_object_with_more_bad_records_than_the_cap_is_quarantined_whole() -> None:
    bad = [cloudtrail_event(eventTime="0001-01-01T00:00:00Z")] * (MAX_BAD_RECORDS + 1)
    noisy = orjson.dumps({"Records": [cloudtrail_event(eventName="Kept?"), *bad]})
    source = Folder({"noisy.json": noisy, "good.json": document("A")})

    batch = read_batch(source, list(source.list_objects()), NOW)

    assert batch.table["event_name"].to_pylist() == ["A"]  # none of the noisy object's rows
    [entry] = batch.quarantined  # one entry, not a thousand
    assert entry.record_index == WHOLE_OBJECT and entry.reason.startswith("more than 1,000")
    assert "before CloudTrail existed" in entry.reason  # the first record's reason
    assert batch.records == 1 and batch.objects["quarantined"].to_pylist() == [1, 0]


def test_a_batch_takes_no_more_objects_once_their_text_passes_its_budget() -> None:
    source = Folder({f"{i}.json": document(f"E{i}") for i in range(5)})
    refs = list(source.list_objects())
    size = len(source.objects["0.json"])

    first = read_batch(source, refs, NOW, budget=2 * size)

    assert first.table["event_name"].to_pylist() == ["E0", "E1"]
    assert [ref.key for ref in first.deferred] == ["2.json", "3.json", "4.json"]
    assert source.reads == ["0.json", "1.json"]  # the rest not fetched: left to the next batch
    rest = read_batch(source, first.deferred, NOW, budget=2 * size)
    assert rest.table["event_name"].to_pylist() == ["E2", "E3"]
