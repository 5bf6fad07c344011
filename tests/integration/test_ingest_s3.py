"""Ingest from a local S3 server over HTTP: the real samples, in the real key layouts."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import cloudtrail_event
from tests.integration.ingest_helpers import event_ids, lake_query, read_records, upload_tree
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.ingest.ingest import StrictModeError, ingest

TRAIL_SETS = ("flaws2-cloud-defender", "flaws-subset-umccr", "otrf-ec2-proxy-s3-exfil")


def expected_ids(samples: Path, names: tuple[str, ...]) -> set[str]:
    ids: set[str] = set()
    for name in names:
        for path in (samples / name).rglob("*.json*"):
            ids.update(r["eventID"] for r in read_records(path))
    return ids


def test_the_real_samples_ingest_from_s3_with_every_event_exactly_once(
    s3_bucket: tuple[Any, str], samples: Path, tmp_path: Path, s3_server: str
) -> None:
    client, bucket = s3_bucket
    for name in TRAIL_SETS:
        upload_tree(client, bucket, samples / name, prefix=f"team/{name}/")
    lake = tmp_path / "lake"

    summary = ingest(f"s3://{bucket}/team", lake, endpoint_url=s3_server, workers=2)

    want = expected_ids(samples, TRAIL_SETS)
    assert event_ids(lake) == sorted(want)
    assert summary.written == len(want) == 37 + 184 + 103
    assert summary.records == summary.written + summary.duplicates + summary.quarantined
    # flaws-subset was hand-edited: one eventID is reused by a different event. It is kept in
    # quarantine as a collision, not dropped as a duplicate and not allowed to overwrite.
    assert (summary.duplicates, summary.quarantined, summary.failed) == (0, 1, [])
    (reason,) = lake_query(lake, "SELECT reason FROM quarantine")[0]
    assert "collides with a different event" in reason


def test_a_second_run_reads_nothing_and_a_redelivered_object_adds_nothing(
    s3_bucket: tuple[Any, str], samples: Path, tmp_path: Path, s3_server: str
) -> None:
    client, bucket = s3_bucket
    keys = upload_tree(client, bucket, samples / "flaws2-cloud-defender")
    lake = tmp_path / "lake"
    ingest(f"s3://{bucket}", lake, endpoint_url=s3_server)
    before = event_ids(lake)

    again = ingest(f"s3://{bucket}", lake, endpoint_url=s3_server)
    assert (again.objects, again.records, again.skipped_objects) == (0, 0, len(keys))

    # CloudTrail delivers global events twice, in two regions' files: same events, new key.
    body = client.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    client.put_object(Bucket=bucket, Key=keys[0].replace("us_east_1", "eu-west-1"), Body=body)
    redelivered = ingest(f"s3://{bucket}", lake, endpoint_url=s3_server)
    assert redelivered.objects == 1 and redelivered.written == 0
    assert redelivered.duplicates == redelivered.records > 0
    assert event_ids(lake) == before


def test_damaged_objects_are_quarantined_and_nothing_valid_is_lost(
    s3_bucket: tuple[Any, str], tmp_path: Path, s3_server: str
) -> None:
    client, bucket = s3_bucket
    good = [cloudtrail_event(eventName=f"Good{i}") for i in range(40)]
    prefix = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/"
    whole = gzip.compress(json.dumps({"Records": good[:30]}).encode())
    objects = {
        "ok.json.gz": gzip.compress(json.dumps({"Records": good[30:35]}).encode()),
        "truncated.json.gz": whole[: len(whole) // 2],
        "invalid.json": b'{"Records": [' + json.dumps(good[35]).encode() + b", {oops}]}",
        "latin1.json": json.dumps({"Records": good[36:38]}).encode().replace(b"Good37", b"G\xe9"),
        "notatrail.json": b'{"Version": "2012-10-17"}',
        "no-time.json": json.dumps(
            {"Records": [cloudtrail_event(eventTime=None), good[38]]}
        ).encode(),
    }
    for name, body in objects.items():
        client.put_object(Bucket=bucket, Key=prefix + name, Body=body)
    lake = tmp_path / "lake"

    summary = ingest(f"s3://{bucket}", lake, endpoint_url=s3_server)

    kept = set(event_ids(lake))
    assert {r["eventID"] for r in good[30:35]} <= kept  # the clean object
    assert good[35]["eventID"] in kept  # the record before the invalid JSON
    assert good[36]["eventID"] in kept and good[37]["eventID"] not in kept  # the non-UTF-8 one
    assert good[38]["eventID"] in kept  # the neighbour of a record without eventTime
    salvaged = {r["eventID"] for r in good[:30]} & kept
    assert salvaged, "records before the gzip truncation must be kept"
    rows = lake_query(lake, "SELECT split_part(source_key, '/', -1), reason FROM quarantine")
    reasons: dict[str, str] = {}
    for name, reason in rows:
        reasons[name] = reasons.get(name, "") + reason + "; "
    assert "truncated gzip" in reasons["truncated.json.gz"]
    assert "invalid JSON at record 1" in reasons["invalid.json"]
    assert "non-UTF-8" in reasons["latin1.json"]
    assert reasons["notatrail.json"].startswith("not CloudTrail")
    assert reasons["no-time.json"].startswith("no usable eventTime")
    assert summary.records == summary.written + summary.duplicates + summary.quarantined


def test_strict_mode_fails_a_run_that_quarantined_anything(
    s3_bucket: tuple[Any, str], tmp_path: Path, s3_server: str
) -> None:
    client, bucket = s3_bucket
    client.put_object(Bucket=bucket, Key="bad.json", Body=b"[1, 2]")
    with pytest.raises(StrictModeError, match="2 records"):
        ingest(f"s3://{bucket}", tmp_path / "lake", endpoint_url=s3_server, strict=True)


def test_the_cli_ingests_and_queries_with_bind_parameters(
    s3_bucket: tuple[Any, str],
    samples: Path,
    tmp_path: Path,
    s3_server: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, bucket = s3_bucket
    upload_tree(client, bucket, samples / "flaws2-cloud-defender")
    lake = str(tmp_path / "lake")
    assert (
        main(["ingest", "--source", f"s3://{bucket}", "--lake", lake, "--endpoint-url", s3_server])
        == 0
    )
    assert "events written" in capsys.readouterr().out

    sql = "SELECT count(*) AS n FROM events WHERE source_ip_address = $ip"
    assert (
        main(["query", sql, "--lake", lake, "--param", "ip=104.102.221.250", "--format", "csv"])
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "n" and int(out[1]) > 0


def test_objects_that_are_not_cloudtrail_logs_are_counted_not_silently_passed(
    s3_bucket: tuple[Any, str], samples: Path, tmp_path: Path, s3_server: str
) -> None:
    client, bucket = s3_bucket
    upload_tree(client, bucket, samples / "flaws2-cloud-defender")
    client.put_object(Bucket=bucket, Key="AWSLogs/README.txt", Body=b"not a log")
    client.put_object(Bucket=bucket, Key="AWSLogs/exports/", Body=b"")  # a console folder marker

    summary = ingest(f"s3://{bucket}", tmp_path / "lake", endpoint_url=s3_server)

    assert (summary.written, summary.skipped_files, summary.failed) == (37, 1, [])
    assert summary.skipped_examples[0].startswith(f"s3://{bucket}/AWSLogs/README.txt")
