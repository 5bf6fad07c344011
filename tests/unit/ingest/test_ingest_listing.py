"""What a run found and did not read is in its summary: nothing under a source passes unremarked."""

from __future__ import annotations

import gzip
import logging
import os
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.ingest import EmptySource, describe_source, ingest
from trailguard.pipeline.ingest.sources import local

DAY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/"


def put(root: Path, key: str, body: bytes) -> Path:
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    return path


def test_files_that_are_not_logs_are_counted_and_digests_pass_unremarked(tmp_path: Path) -> None:
    trail = tmp_path / "trail"
    put(trail, DAY + "a.json.gz", gzip.compress(orjson.dumps({"Records": [cloudtrail_event()]})))
    put(trail, DAY + "notes.txt", b"x")
    put(trail, "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2026/10/05/d.json.gz", b"{}")

    summary = ingest(str(trail), tmp_path / "lake", workers=1)

    assert (summary.objects, summary.written, summary.skipped_files) == (1, 1, 1)
    assert summary.skipped_examples == [
        f"{trail / DAY / 'notes.txt'}: not a CloudTrail log, by its name"
    ]
    assert summary.failed == []


def test_a_folder_that_cannot_be_listed_is_a_failed_read_like_an_unreadable_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = tmp_path / "trail"
    put(trail, DAY + "a.json", orjson.dumps({"Records": [cloudtrail_event()]}))
    locked = put(trail, "AWSLogs/444455556666/CloudTrail/x.json", b"{}").parent
    scandir = os.scandir

    def refusing(path: str) -> Any:
        if path == str(locked):
            raise PermissionError(13, "Permission denied", path)
        return scandir(path)

    monkeypatch.setattr(local.os, "scandir", refusing)

    summary = ingest(str(trail), tmp_path / "lake", workers=1)

    assert summary.written == 1
    [(uri, error)] = summary.failed  # the CLI's exit code 1; not marked read: listed next run
    assert uri == str(locked) and error.startswith("PermissionError: [Errno 13]")


def test_a_source_with_nothing_to_ingest_into_a_new_lake_is_refused_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    empty = tmp_path / "exports"
    put(empty, "readme.txt", b"x")

    with pytest.raises(EmptySource) as refused:
        ingest(str(empty), tmp_path / "lake", workers=1)

    message = str(refused.value)
    assert f"found no CloudTrail log file under {empty}; 1 other files skipped" in message
    assert "AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/*.json.gz" in message
    assert "\n" not in message
    assert not [r for r in caplog.records if "nothing to ingest" in r.getMessage()]


def test_a_source_with_nothing_to_ingest_into_a_lake_with_events_warns_what_it_expected(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trail, empty, lake = tmp_path / "trail", tmp_path / "exports", tmp_path / "lake"
    put(trail, DAY + "a.json", orjson.dumps({"Records": [cloudtrail_event()]}))
    put(empty, "readme.txt", b"x")
    ingest(str(trail), lake, workers=1)

    with caplog.at_level(logging.WARNING, logger="trailguard.pipeline.ingest.ingest"):
        summary = ingest(str(empty), lake, workers=1)

    assert (summary.objects, summary.skipped_files, summary.failed) == (0, 1, [])
    [warning] = [r.getMessage() for r in caplog.records if "nothing to ingest" in r.getMessage()]
    assert f"no CloudTrail log found under {empty}; 1 other files skipped" in warning
    assert "AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/*.json.gz" in warning


def test_an_s3_source_is_described_by_its_bucket_and_prefix() -> None:
    assert describe_source("s3://trail/wrong-prefix") == (
        "s3://trail/wrong-prefix (bucket 'trail', prefix 'wrong-prefix/')"
    )
    assert (
        describe_source("s3://trail") == "s3://trail (bucket 'trail', no prefix: the whole bucket)"
    )
    assert describe_source("/data/exports") == "/data/exports"


def test_a_rerun_that_reads_nothing_new_does_not_warn(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    trail = tmp_path / "trail"
    put(trail, DAY + "a.json", orjson.dumps({"Records": [cloudtrail_event()]}))
    ingest(str(trail), tmp_path / "lake", workers=1)

    with caplog.at_level(logging.WARNING):
        summary = ingest(str(trail), tmp_path / "lake", workers=1)

    assert (summary.objects, summary.skipped_objects) == (0, 1)
    assert not [r for r in caplog.records if "nothing to ingest" in r.getMessage()]
