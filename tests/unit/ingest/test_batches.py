"""How a listing is cut into worker batches: in order, nothing lost, the end in smaller pieces."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest import workers as ingest_workers
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.ingest.sources.local import LocalSource
from trailguard.pipeline.ingest.workers import _batches, read_all

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def refs(count: int, size: int = 100) -> list[ObjectRef]:
    return [
        ObjectRef(uri=f"/o/{i:06}", key=f"{i:06}", size=size, version="v") for i in range(count)
    ]


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest_workers, "BATCH_OBJECTS", 100)
    monkeypatch.setattr(ingest_workers, "BATCH_BYTES", 1 << 20)
    monkeypatch.setattr(ingest_workers, "TAIL_SPLIT", 4)


def test_a_long_listing_goes_in_whole_batches_then_its_end_in_quarters() -> None:
    listing = refs(1030)
    batches = list(_batches(listing))
    assert [len(b) for b in batches] == [100] * 9 + [25, 25, 25, 25, 25, 5]
    assert [ref for batch in batches for ref in batch] == listing  # in order, each once


def test_a_listing_shorter_than_a_batch_and_a_half_is_not_split_finer() -> None:
    assert [len(b) for b in _batches(refs(60))] == [60]
    assert [len(b) for b in _batches(refs(140))] == [100, 40]
    assert list(_batches([])) == []


def test_bytes_bound_a_batch_as_objects_do() -> None:
    listing = refs(40, size=100_000)  # a batch ends with the object that reaches a MiB
    batches = list(_batches(listing))
    assert [len(b) for b in batches] == [11, 11, 11, 3, 3, 1]
    assert [ref for batch in batches for ref in batch] == listing


def test_an_object_larger_than_a_batch_is_a_batch_of_its_own() -> None:
    listing = [*refs(3), ObjectRef(uri="/big", key="big", size=5 << 20, version="v"), *refs(2)]
    assert [len(b) for b in _batches(listing)] == [4, 2]


@pytest.mark.parametrize("workers", [1, 2])
def test_objects_a_batch_leaves_past_its_text_budget_are_read_next_in_order(
    tmp_path: Path, workers: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batches of 4 objects (then the end of the listing one by one), in worker processes with
    # two workers; a budget of two and a half objects' text leaves the fourth of a batch for
    # another batch, read before the results that follow.
    monkeypatch.setattr(ingest_workers, "BATCH_OBJECTS", 4)
    for i in range(8):
        (tmp_path / f"{i}.json").write_bytes(orjson.dumps({"Records": [cloudtrail_event()]}))
    listed = [ref for ref in LocalSource(tmp_path).list_objects() if isinstance(ref, ObjectRef)]
    size = listed[0].size
    limits = ReadLimits(object_bytes=size * 5 // 2, record_bytes=size * 5 // 2)

    results = list(read_all(str(tmp_path), None, listed, NOW, workers, limits))

    read = [key for result in results for key in result.objects["key"].to_pylist()]
    assert read == [f"{i}.json" for i in range(8)]  # every object, once, in listing order
    assert max(result.objects.num_rows for result in results) == 3
    assert sum(result.records for result in results) == 8
