"""Ingest from local folders: every export shape, and counts that always add up."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import trailguard.pipeline.ingest.workers
import trailguard.pipeline.ingest.writer
from tests.integration.ingest_helpers import event_ids, lake_query, parquet_rows, read_records
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.lake.compact import COMPACT_MIN_FILES, COMPACTION_JOURNAL, init_lake
from trailguard.pipeline.lake.layout import partition_files, touched_partitions


def test_every_sample_shape_ingests_and_every_record_lands_in_exactly_one_place(
    samples: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    summary = ingest(str(samples), lake, workers=1)

    total = sum(len(read_records(p)) for p in samples.rglob("*.json*"))
    total += sum(len(read_records(p)) for p in samples.rglob("*.ndjson"))
    assert summary.records == total == 37 + 185 + 103 + 461
    assert summary.records == summary.written + summary.duplicates + summary.quarantined
    quarantined = lake_query(lake, "SELECT count(*) FROM quarantine")[0][0]
    assert quarantined == summary.quarantined
    assert parquet_rows(lake) == summary.written == len(set(event_ids(lake)))


def test_panther_events_without_event_time_are_quarantined_and_the_rest_kept(
    samples: Path, tmp_path: Path
) -> None:
    source = samples / "panther-rule-tests" / "panther_aws_cloudtrail_rule_tests.ndjson"
    records = [json.loads(line) for line in source.read_text().splitlines()]
    lake = tmp_path / "lake"
    summary = ingest(str(source), lake, workers=1)

    reasons = [r for (r,) in lake_query(lake, "SELECT reason FROM quarantine")]
    no_time = [r for r in reasons if r.startswith("no usable eventTime")]
    assert len(no_time) == sum(1 for r in records if _has_name(r) and not _has_time(r))
    # Records without eventID are kept under a derived id, flagged.
    derived = lake_query(lake, "SELECT count(*) FROM events WHERE event_id_derived")[0][0]
    assert derived > 0
    assert summary.records == len(records)
    assert summary.records == summary.written + summary.duplicates + summary.quarantined


def _has_name(record: dict[str, object]) -> bool:
    name = record.get("eventName") or record.get("eventname")
    return bool(name and (record.get("eventSource") or record.get("eventsource")))


def _has_time(record: dict[str, object]) -> bool:
    value = record.get("eventTime") or record.get("eventtime")
    try:
        datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def test_rows_are_partitioned_by_event_date_and_account_not_delivery_folder(
    samples: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    ingest(str(samples / "flaws-subset-umccr"), lake, workers=1)
    rows = lake_query(
        lake,
        "SELECT DISTINCT event_date::VARCHAR, account_id FROM events "
        "WHERE strftime(event_time, '%Y-%m-%d') <> event_date::VARCHAR",
    )
    assert rows == []  # the partition date is always the event's own date
    folders = {p.parent.name for p in touched_partitions(lake)}
    assert folders == {"event_date=2020-09-30", "event_date=2020-10-01"}
    for part in touched_partitions(lake):
        for f in partition_files(part):
            assert pq.read_metadata(f).row_group(0).column(0).compression == "ZSTD"


def test_many_small_writes_are_compacted_and_nothing_changes(samples: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    paths = sorted((samples / "flaws2-cloud-defender").rglob("*.json.gz"))
    assert len(paths) == COMPACT_MIN_FILES
    for count, path in enumerate(paths[:-1], start=1):  # one run per object: a file per run
        ingest(str(path), lake, workers=1)
        part = touched_partitions(lake)[0]
        assert len(partition_files(part)) == count
    before = event_ids(lake)

    summary = ingest(str(paths[-1]), lake, workers=1)  # the eighth small file triggers a merge

    assert len(partition_files(part)) == 1
    assert event_ids(lake) == sorted([*before, *event_ids_of(paths[-1])])
    assert summary.written == len(event_ids_of(paths[-1]))


def test_a_first_run_s_events_are_queryable_from_its_first_state_commit(
    samples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        trailguard.pipeline.ingest.writer, "FLUSH_BYTES", 1
    )  # commit after every batch
    monkeypatch.setattr(trailguard.pipeline.ingest.workers, "BATCH_OBJECTS", 2)
    lake = tmp_path / "lake"
    during: list[int] = []

    def progress(done: int, to_read: int, records: int) -> None:  # between two batches
        during.append(lake_query(lake, "SELECT count(*) FROM events")[0][0])

    summary = ingest(str(samples / "flaws2-cloud-defender"), lake, workers=1, progress=progress)

    assert 0 < during[0] < summary.written
    assert during == sorted(during) and during[-1] == summary.written


def event_ids_of(path: Path) -> list[str]:
    return [r["eventID"] for r in read_records(path)]


def test_an_interrupted_compaction_is_completed_on_the_next_start(
    samples: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    for path in sorted((samples / "flaws2-cloud-defender").rglob("*.json.gz"))[:3]:
        ingest(str(path), lake, workers=1)
    before = event_ids(lake)
    part = touched_partitions(lake)[0]
    old = partition_files(part)
    # Simulate a crash after the merged file was renamed into place, before the old ones went.
    merged = pa.concat_tables([pq.read_table(p) for p in old])
    pq.write_table(merged, part / "part-merged.parquet")
    (part / COMPACTION_JOURNAL).write_text(
        json.dumps({"new": "part-merged.parquet", "old": [p.name for p in old]})
    )

    init_lake(lake)

    assert [p.name for p in partition_files(part)] == ["part-merged.parquet"]
    assert event_ids(lake) == before
