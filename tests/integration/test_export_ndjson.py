"""Export to NDJSON files, locally and in S3, re-read and validated as OCSF."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.findings import many_findings, ml_finding, rule_finding
from tests.helpers.lake import expected_versions, store, versions
from tests.helpers.ocsf import validate_event
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.export.deliver import export_findings
from trailguard.pipeline.lake.db import open_db


def read_lines(root: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for path in sorted(root.rglob("*.ndjson"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]


def test_local_files_hold_every_finding_once_as_valid_ocsf_partitioned_by_date(
    tmp_path: Path,
) -> None:
    lake, out = tmp_path / "lake", tmp_path / "out"
    stored = store(lake, [rule_finding(), ml_finding(), *many_findings(5)])

    stats = export_findings(lake, f"ndjson:{out}", batch_size=3)

    files = sorted(out.rglob("*.ndjson"))
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    assert stats.ok and stats.sent == 7 and len(files) == 3
    assert {f.parent.name for f in files} == {f"dt={today}"}
    assert not list(out.rglob(".tmp-*"))  # written atomically
    lines = read_lines(out)
    assert versions(lines) == expected_versions(stored)
    assert all(validate_event(line) == [] for line in lines)


def test_an_updated_finding_is_written_again_under_the_same_uid(tmp_path: Path) -> None:
    lake, out = tmp_path / "lake", tmp_path / "out"
    ml = ml_finding()
    store(lake, [rule_finding(), ml])
    export_findings(lake, f"ndjson:{out}")

    store(lake, [dataclasses.replace(ml, event_count=999, last_seen=ml.last_seen + timedelta(1))])
    again = export_findings(lake, f"ndjson:{out}")
    nothing = export_findings(lake, f"ndjson:{out}")

    lines = read_lines(out)
    assert (again.sent, nothing.sent) == (1, 0)
    assert versions(lines) == {(rule_finding().finding_id, 1): 1, (ml.finding_id, 1): 1,
                               (ml.finding_id, 2): 1}  # fmt: skip
    update = next(x for x in lines if x["unmapped"]["trailguard"]["version"] == 2)
    assert (update["activity_name"], update["count"]) == ("Update", 999)


def test_s3_objects_are_dated_and_hold_every_finding_once(
    s3_bucket: tuple[Any, str], tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(5))

    stats = export_findings(lake, f"s3://{bucket}/trailguard/findings", client=client, batch_size=2)
    again = export_findings(lake, f"s3://{bucket}/trailguard/findings", client=client)

    keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket)["Contents"]]
    assert stats.ok and stats.sent == 5 and again.sent == 0 and len(keys) == 3
    assert all(k.startswith("trailguard/findings/dt=") and k.endswith(".ndjson") for k in keys)
    lines = [
        json.loads(line)
        for key in keys
        for line in client.get_object(Bucket=bucket, Key=key)["Body"].read().splitlines()
    ]
    assert versions(lines) == expected_versions(stored)
    assert all(validate_event(line) == [] for line in lines)


def test_a_missing_bucket_is_refused_clearly_and_the_cursor_stays(
    s3_server: str, aws_env: None, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    store(lake, many_findings(2))

    stats = export_findings(lake, "s3://no-such-bucket-tg/x", endpoint_url=s3_server)

    assert not stats.ok and not stats.retryable and stats.cursor_after == 0
    assert stats.error is not None and "NoSuchBucket" in stats.error


def test_cli_export_to_ndjson(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake, out = tmp_path / "lake", tmp_path / "out"
    store(lake, many_findings(2))

    code = main(["export", "--to", f"ndjson:{out}", "--lake", str(lake)])

    assert code == 0
    assert "sent 2, refused 0" in capsys.readouterr().out
    assert len(read_lines(out)) == 2


def test_archiving_an_exported_finding_sends_it_again_as_archived(tmp_path: Path) -> None:
    lake, out = tmp_path / "lake", tmp_path / "out"
    rule = rule_finding()
    store(lake, [rule, ml_finding()])
    export_findings(lake, f"ndjson:{out}")
    with open_db(lake) as con:  # what a suppression rule does (sql/detect/archive.sql)
        con.execute(
            "UPDATE findings SET status = 'archived', revision = nextval('finding_revision') "
            "WHERE finding_id = $id",
            {"id": rule.finding_id},
        )

    again = export_findings(lake, f"ndjson:{out}")

    copies = [x for x in read_lines(out) if x["finding_info"]["uid"] == rule.finding_id]
    assert again.sent == 1 and len(copies) == 2
    assert [(c["status"], c["is_alert"]) for c in copies] == [("New", True), ("Archived", False)]
    assert copies[0]["metadata"]["uid"] != copies[1]["metadata"]["uid"]  # not dropped as a copy
