"""The lake writer: one row per event_id, whatever is re-delivered, in any order."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.compact import (
    COMPACT_MIN_FILES,
    compact,
    compact_partition,
    init_lake,
)
from trailguard.pipeline.lake.dedup import IdCache, IdWindow
from trailguard.pipeline.lake.encode import encode_events
from trailguard.pipeline.lake.layout import partition_files, touched_partitions
from trailguard.pipeline.lake.write import write_encoded, write_events

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def batch_of(records: list[dict[str, object]], name: str) -> object:
    ref = ObjectRef(uri=name, key=name, size=1, version="v1")
    return to_batch("src", [(ref, json.dumps({"Records": records}).encode())], NOW).table


def test_redelivery_is_dropped_even_after_its_partition_left_the_id_cache(tmp_path: Path) -> None:
    monday = [cloudtrail_event(eventTime=f"2026-10-05T1{i}:00:00Z") for i in range(3)]
    tuesday = [cloudtrail_event(eventTime=f"2026-10-06T1{i}:00:00Z") for i in range(3)]
    init_lake(tmp_path)
    seen = IdCache(max_partitions=1)  # every switch of partition evicts the other

    first = [
        write_events(tmp_path, batch_of(r, n), seen) for r, n in ((monday, "a"), (tuesday, "b"))
    ]
    again = [
        write_events(tmp_path, batch_of(r, n), seen) for r, n in ((monday, "c"), (tuesday, "d"))
    ]

    assert [s.written for s in first] == [3, 3]
    assert [(s.written, s.duplicates) for s in again] == [(0, 3), (0, 3)]


def test_an_id_reused_by_another_event_in_the_partition_is_a_collision(tmp_path: Path) -> None:
    original = cloudtrail_event(eventID="1", eventName="ListUsers")
    impostor = cloudtrail_event(eventID="1", eventName="StopLogging")
    init_lake(tmp_path)
    seen = IdCache()

    write_events(tmp_path, batch_of([original], "a"), seen)
    reused = write_events(tmp_path, batch_of([impostor], "b"), seen)
    redelivered = write_events(tmp_path, batch_of([original], "c"), seen)

    assert (reused.written, reused.duplicates) == (0, 0)
    (collided,) = reused.collisions
    assert collided["event_name"].to_pylist() == ["StopLogging"]
    assert (redelivered.written, redelivered.duplicates, redelivered.collisions) == (0, 1, [])


def test_compacting_no_partitions_touches_none(tmp_path: Path) -> None:
    init_lake(tmp_path)
    seen = IdCache()
    for i in range(COMPACT_MIN_FILES):  # one small file per write in one partition
        event = cloudtrail_event(eventTime=f"2026-10-05T1{i}:00:00Z")
        write_events(tmp_path, batch_of([event], f"o{i}"), seen)
    (part,) = touched_partitions(tmp_path)

    assert compact(tmp_path, set()) == 0  # a run that wrote nothing
    assert len(partition_files(part)) == COMPACT_MIN_FILES
    assert compact(tmp_path) == COMPACT_MIN_FILES  # by hand: all of them


def test_a_later_batch_repeating_ids_keeps_only_its_new_rows(tmp_path: Path) -> None:
    original = cloudtrail_event(eventID="1", eventTime="2026-10-05T10:00:00Z")
    kept = cloudtrail_event(eventTime="2026-10-05T11:00:00Z")
    reused = cloudtrail_event(eventID="1", eventTime="2026-10-06T10:00:00Z")  # another day
    new = cloudtrail_event(eventTime="2026-10-05T12:00:00Z")
    init_lake(tmp_path)
    seen, window = IdCache(), IdWindow()  # one flush: one window
    first = encode_events(batch_of([original, kept], "a"))
    second = encode_events(batch_of([kept, reused, new], "b"))

    write_encoded(tmp_path, first, seen, window)
    stats = write_encoded(tmp_path, second, seen, window)

    assert (stats.written, stats.duplicates) == (1, 1)
    (collided,) = stats.collisions  # the reused id, though its day's partition was empty
    assert collided["event_time"].to_pylist()[0].day == 6
    assert collided["_object_version"].to_pylist() == ["v1"]
    ids = sorted(pq.read_table(tmp_path / "events").column("event_id").to_pylist())
    assert ids == sorted(["1", kept["eventID"], new["eventID"]])


def _codecs(path: Path) -> dict[str, str]:
    meta = pq.ParquetFile(path).metadata
    group = meta.row_group(0)
    return {
        group.column(i).path_in_schema: group.column(i).compression for i in range(meta.num_columns)
    }


def test_batch_files_leave_only_flags_and_short_codes_uncompressed_and_compaction_none(
    tmp_path: Path,
) -> None:
    init_lake(tmp_path)
    seen = IdCache()
    for n in range(COMPACT_MIN_FILES):
        events = [cloudtrail_event(eventTime=f"2026-10-05T1{n}:0{i}:00Z") for i in range(3)]
        write_events(tmp_path, batch_of(events, f"o{n}"), seen)
    (folder,) = touched_partitions(tmp_path)
    batch_file = _codecs(partition_files(folder)[0])

    plain = {name for name, codec in batch_file.items() if codec == "UNCOMPRESSED"}
    assert {"read_only", "aws_region", "recipient_account_id"} <= plain
    assert not plain & {"event_id", "event_time", "request_parameters", "user_identity"}
    assert set(batch_file.values()) == {"UNCOMPRESSED", "ZSTD"}

    assert compact_partition(folder) == COMPACT_MIN_FILES
    (merged,) = partition_files(folder)
    assert set(_codecs(merged).values()) == {"ZSTD"}


def test_within_a_batch_the_first_record_of_an_id_is_kept_whatever_its_partition(
    tmp_path: Path,
) -> None:
    first = cloudtrail_event(eventID="1", eventTime="2026-10-06T10:00:00Z", eventName="ListUsers")
    later = cloudtrail_event(eventID="1", eventTime="2026-10-05T10:00:00Z", eventName="StopLogging")
    init_lake(tmp_path)

    stats = write_events(tmp_path, batch_of([first, later], "a"), IdCache())

    (collided,) = stats.collisions  # the later record, though its day's partition comes first
    assert collided["event_name"].to_pylist() == ["StopLogging"]
    (folder,) = touched_partitions(tmp_path)
    assert "2026-10-06" in str(folder)
    assert stats.written == 1
