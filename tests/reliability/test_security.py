"""The tool's own security: least privilege, bind parameters, no secret in logs, owner-only files.

- `security/iam-policy.json` grants only what trailguard calls, on the trail and export prefixes,
  and an IAM-enforcing S3 (moto in its authorization mode) allows and refuses accordingly;
- values reach SQL only as bind parameters, `trailguard query` included;
- `trailguard -v` (debug logging) prints no secret key, session token or access key id;
- the lake folder and its database are created owner-only;
- no key or record, however hostile, makes ingest write outside the lake.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import cloudtrail_event
from tests.reliability.harness import build_corpus
from tests.reliability.seaweed import free_ports
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.db import db_path
from trailguard.pipeline.lake.dedup import IdCache
from trailguard.pipeline.lake.write import write_events

REPO = Path(__file__).resolve().parents[2]
POLICY = REPO / "security" / "iam-policy.json"
NEEDED_ACTIONS = {
    "s3:ListBucket",  # ListObjectsV2 on the trail prefix
    "s3:GetObject",  # the trail's objects
    "kms:Decrypt",  # trail objects encrypted with SSE-KMS (only through S3)
    "s3:PutObject",  # NDJSON export to a bucket
    "securityhub:BatchImportFindings",  # the Security Hub exporter
    "securityhub:BatchUpdateFindings",  # the same, for an analyst's archive (Workflow, Note)
    "sts:AssumeRole",  # the Security Hub exporter, in each member account (--securityhub-role)
}


# --- least privilege -------------------------------------------------------------------------


def test_the_iam_policy_grants_only_the_calls_trailguard_makes_on_named_resources() -> None:
    policy = json.loads(POLICY.read_text())
    statements = policy["Statement"]
    actions = {s["Action"] for s in statements}
    assert actions == NEEDED_ACTIONS
    assert all(s["Effect"] == "Allow" and "NotAction" not in s for s in statements)
    assert all("*" not in s["Action"] for s in statements)
    for statement in statements:
        resource = statement["Resource"]
        assert isinstance(resource, str) and resource != "*"
        assert resource.count("*") <= 1 and (resource.endswith("/*") or "*" not in resource)


@pytest.fixture
def iam_enforcing_s3() -> Iterator[str]:
    """moto's server with IAM enforced after the first `SETUP_CALLS` requests (the setup's)."""
    (port,) = free_ports(1)
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(SETUP_CALLS)}
    command = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=10)


SETUP_CALLS = 8
TRAIL_KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/a.json"


def policy_user_client(endpoint: str) -> Any:
    """Set up buckets and a user holding the policy (the 8 unauthenticated calls); its client."""
    admin: dict[str, Any] = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": "AKIASETUPONLY0000000",
        "aws_secret_access_key": "setup",
    }
    s3, iam = boto3.client("s3", **admin), boto3.client("iam", **admin)
    s3.create_bucket(Bucket="trail-bucket")
    s3.create_bucket(Bucket="export-bucket")
    s3.put_object(Bucket="trail-bucket", Key=TRAIL_KEY, Body=b'{"Records": []}')
    s3.put_object(Bucket="trail-bucket", Key="payroll/2026.csv", Body=b"not yours")
    iam.create_user(UserName="trailguard")
    document = POLICY.read_text()
    for placeholder, value in {
        "TRAIL_BUCKET": "trail-bucket",
        "TRAIL_PREFIX": "AWSLogs",
        "EXPORT_BUCKET": "export-bucket",
        "EXPORT_PREFIX": "findings",
        "REGION": "us-east-1",
        "ACCOUNT_ID": "123456789012",
        "TRAIL_KMS_KEY_ID": "1234abcd-12ab-34cd-56ef-1234567890ab",
    }.items():
        document = document.replace(placeholder, value)
    arn = iam.create_policy(PolicyName="trailguard", PolicyDocument=document)["Policy"]["Arn"]
    iam.attach_user_policy(UserName="trailguard", PolicyArn=arn)
    key = iam.create_access_key(UserName="trailguard")["AccessKey"]
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
    )


def allowed(call: Any) -> bool:
    try:
        call()
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "AccessDenied", exc
        return False
    return True


def test_an_iam_enforcing_store_allows_what_trailguard_does_and_nothing_else(
    iam_enforcing_s3: str,
) -> None:
    # moto checks actions and resources but not conditions, and cannot verify a signed listing
    # with a prefix: listing (and its s3:prefix condition) is checked by the static test above.
    tg = policy_user_client(iam_enforcing_s3)

    assert allowed(lambda: tg.get_object(Bucket="trail-bucket", Key=TRAIL_KEY))
    assert allowed(lambda: tg.put_object(Bucket="export-bucket", Key="findings/a.ndjson", Body=b""))
    assert not allowed(lambda: tg.get_object(Bucket="trail-bucket", Key="payroll/2026.csv"))
    assert not allowed(lambda: tg.put_object(Bucket="trail-bucket", Key=TRAIL_KEY, Body=b""))
    assert not allowed(lambda: tg.delete_object(Bucket="trail-bucket", Key=TRAIL_KEY))
    assert not allowed(lambda: tg.put_object(Bucket="export-bucket", Key="other/a", Body=b""))
    assert not allowed(lambda: tg.get_object(Bucket="export-bucket", Key="findings/a.ndjson"))


# --- SQL: bind parameters only ---------------------------------------------------------------

INJECTIONS = ["'; DROP TABLE ingest_state; --", "x' OR '1'='1", '" OR 1=1 --', "$ua"]


def test_query_filters_reach_sql_as_values_never_as_sql(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "trail.json"
    records = [cloudtrail_event(userAgent=text) for text in INJECTIONS]
    records.append(cloudtrail_event(userAgent="aws-cli/2.15"))
    source.write_text(json.dumps({"Records": records}))
    lake = tmp_path / "lake"
    ingest(str(source), lake, workers=1)
    capsys.readouterr()

    sql = "SELECT count(*) AS n FROM events WHERE user_agent = $ua"
    for text in INJECTIONS:
        assert (
            main(["query", sql, "--lake", str(lake), "--param", f"ua={text}", "--format", "csv"])
            == 0
        )
        assert capsys.readouterr().out.split() == ["n", "1"], text
    assert main(["query", "SELECT count(*) AS n FROM ingest_state", "--lake", str(lake)]) == 0
    assert "1" in capsys.readouterr().out  # the table is still there


def test_trailguard_query_opens_the_lake_read_only(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    ingest(str(REPO / "tests/data/cloudtrail/flaws2-cloud-defender"), lake, workers=1)

    assert main(["query", "DROP TABLE ingest_state", "--lake", str(lake)]) == 2
    assert "read-only" in capsys.readouterr().err
    assert main(["query", "SELECT count(*) FROM ingest_state", "--lake", str(lake)]) == 0


def test_the_library_builds_no_sql_from_strings() -> None:
    """ruff's S608 (SQL built by formatting or concatenation) finds nothing in the code."""
    found = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "S608", "pipeline", "models", "flows"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert found.returncode == 0, found.stdout


# --- secrets in logs -------------------------------------------------------------------------

SECRETS = {
    "AWS_ACCESS_KEY_ID": "AKIAWATCHFORTHISKEY1",
    "AWS_SECRET_ACCESS_KEY": "watch/for+this/secret0123456789abcdefghij",
    "AWS_SESSION_TOKEN": "WatchForThisSessionToken0123456789/+=",
}


def test_debug_logging_prints_no_credential_or_token(
    s3_bucket: tuple[Any, str], s3_server: str, tmp_path: Path
) -> None:
    client, bucket = s3_bucket
    build_corpus(objects=3).upload(client, bucket)
    client.put_object(Bucket=bucket, Key="AWSLogs/broken.json", Body=b'{"Records": [{oops')
    env = {**os.environ, **SECRETS}
    logs = ""
    for args in (
        ["ingest", "--source", f"s3://{bucket}", "--endpoint-url", s3_server],
        ["query", "SELECT count(*) FROM events"],
    ):
        command = ["trailguard", "-v", *args, "--lake", str(tmp_path / "lake")]
        run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        logs += run.stdout + run.stderr

    assert "WARNING" in logs and "quarantined" in logs  # the logs had something to say
    leaked = [name for name, value in SECRETS.items() if value in logs or value[:16] in logs]
    assert leaked == []


# --- files -----------------------------------------------------------------------------------


def test_the_lake_and_its_database_are_owner_only(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake.mkdir(mode=0o755)  # an operator's folder, created loosely beforehand
    previous = os.umask(0o022)
    try:
        ingest(str(REPO / "tests/data/cloudtrail/flaws2-cloud-defender"), lake, workers=1)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(lake.stat().st_mode) == 0o700
    assert stat.S_IMODE(db_path(lake).stat().st_mode) == 0o600
    loose = [p for p in lake.rglob("*") if p.stat().st_mode & stat.S_IWOTH]
    assert loose == []


ACCOUNTS = ["../../../../escape", "/etc", "..", "a/b", "x" * 300, "1\x002", "C:\\temp", ""]
REF = ObjectRef("s3://trail/x.json", "x.json", 0, "v")
HOSTILE_KEYS = [
    "AWSLogs/../../../../tmp/escape.json",
    "/AWSLogs/absolute.json",
    "AWSLogs/111122223333/CloudTrail/../../../../../x.json",
    "AWSLogs/..\\..\\windows.json",
]


def test_no_key_or_record_makes_ingest_write_outside_the_lake(
    s3_bucket: tuple[Any, str], s3_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client, bucket = s3_bucket
    for key in HOSTILE_KEYS:
        records = [
            cloudtrail_event(recipientAccountId=a, userIdentity__accountId=a) for a in ACCOUNTS
        ]
        client.put_object(Bucket=bucket, Key=key, Body=json.dumps({"Records": records}).encode())
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    lake = tmp_path / "lake"

    summary = ingest(f"s3://{bucket}", lake, endpoint_url=s3_server, workers=1)

    assert summary.written == len(HOSTILE_KEYS) * len(ACCOUNTS) and not summary.failed
    outside = [p for p in tmp_path.rglob("*") if lake not in p.parents and p not in (lake, work)]
    assert outside == []
    assert_partitions_are_safe(lake)


def assert_partitions_are_safe(lake: Path) -> None:
    for path in (lake / "events").rglob("*"):
        assert path.resolve().is_relative_to(lake.resolve() / "events")
    for part in (lake / "events").glob("*/*"):
        account = part.name.removeprefix("account_id=")
        assert account.replace("_", "").replace("-", "").isalnum() and len(account) <= 64


@settings(max_examples=60, deadline=None, database=None)
@given(
    # The first day ingest accepts (years 1 and 9999 are quarantined: tests/unit/ingest/
    # test_normalize.py), a leap day and an ordinary one.
    account=st.text(max_size=80),
    day=st.sampled_from(["2013-11-01", "2016-02-29", "2026-10-05"]),
)
def test_any_account_text_stays_a_safe_partition_name(account: str, day: str) -> None:
    record = cloudtrail_event(recipientAccountId=account, eventTime=f"{day}T12:00:00Z")
    body = json.dumps({"Records": [record]}).encode()
    with tempfile.TemporaryDirectory() as root:
        lake = Path(root) / "lake"
        batch = to_batch("s3://trail/", [(REF, body)], datetime.now(UTC))
        write_events(lake, batch.table, IdCache())

        assert_partitions_are_safe(lake)
        assert [p.name for p in Path(root).iterdir()] == ["lake"]
