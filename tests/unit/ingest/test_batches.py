"""How a listing is cut into worker batches: in order, nothing lost, the end in smaller pieces."""

from __future__ import annotations

import pytest

from trailguard.pipeline.ingest import workers as ingest_workers
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.ingest.workers import _batches


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
