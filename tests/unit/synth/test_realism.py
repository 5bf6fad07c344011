"""Generated records look like real CloudTrail: the same fields, types and value shapes as the
real samples in tests/data/cloudtrail/, and every identity and event type a trail carries."""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.unit.synth.conftest import Generated

SHAPES = {
    "eventTime": re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"),
    "eventID": re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
    "eventVersion": re.compile(r"^1\.(08|09|10|11)$"),
    "recipientAccountId": re.compile(r"^\d{12}$"),
    "awsRegion": re.compile(r"^[a-z]{2}-[a-z]+-\d$"),
    "eventSource": re.compile(r"^[a-z0-9-]+\.amazonaws\.com$"),
    "eventName": re.compile(r"^[A-Z][A-Za-z0-9]+$"),
    "requestID": re.compile(r"^([0-9a-f-]{36}|[0-9A-F]{16})$"),
}
ACCESS_KEY = re.compile(r"^(AKIA|ASIA)[A-Z2-7]{16}$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
# Keys the samples lack only because they hold no such identity: WebIdentityUser's provider is in
# AWS's userIdentity reference (CloudTrail User Guide, "CloudTrail userIdentity element").
DOCUMENTED_ONLY = {"userIdentity": {"identityProvider"}}
PRIVATE = re.compile(r"^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.)")


def _real_records(samples: Path) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in samples.glob("flaws*/**/*.json*"):
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        records.extend(json.loads(raw)["Records"])
    panther = samples / "panther-rule-tests" / "panther_aws_cloudtrail_rule_tests.ndjson"
    for line in panther.read_text().splitlines():
        record = json.loads(line)
        records.append({k: v for k, v in record.items() if not k.startswith(("p_", "_"))})
    return records


@pytest.fixture(scope="module")
def real(samples: Path) -> list[dict[str, Any]]:
    return _real_records(samples)


def _types(records: list[dict[str, Any]], field: str | None = None) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    for rec in records:
        obj = rec if field is None else rec.get(field)
        if isinstance(obj, dict):
            for key, value in obj.items():
                seen.setdefault(key, set()).add(type(value).__name__)
    return seen


def test_top_level_fields_and_their_types_are_ones_real_records_have(
    small_org: Generated, real: list[dict[str, Any]]
) -> None:
    real_types, synth_types = _types(real), _types(small_org.records)
    assert set(synth_types) <= set(real_types)
    for field, kinds in synth_types.items():
        assert kinds <= real_types[field], field


@pytest.mark.parametrize("field", ["userIdentity", "tlsDetails", "additionalEventData"])
def test_nested_objects_use_real_keys(
    small_org: Generated, real: list[dict[str, Any]], field: str
) -> None:
    known = set(_types(real, field)) | DOCUMENTED_ONLY.get(field, set())
    assert set(_types(small_org.records, field)) <= known


def test_values_have_the_shapes_cloudtrail_writes(small_org: Generated) -> None:
    for rec in small_org.records:
        for field, shape in SHAPES.items():
            if field in rec:
                assert shape.match(rec[field]), (field, rec[field])
        key = rec["userIdentity"].get("accessKeyId")
        if key:
            assert ACCESS_KEY.match(key), key


def test_source_addresses_are_public_ips_or_service_names(small_org: Generated) -> None:
    for rec in small_org.records:
        source = rec["sourceIPAddress"]
        if IPV4.match(source):
            assert not PRIVATE.match(source), source
        else:
            assert source.endswith(".amazonaws.com"), source


def test_the_trail_carries_every_identity_and_event_type(small_org: Generated) -> None:
    identities = Counter(r["userIdentity"].get("type") for r in small_org.records)
    assert {
        "IAMUser",
        "AssumedRole",
        "Root",
        "AWSService",
        "FederatedUser",
        "WebIdentityUser",
        "AWSAccount",
    } <= set(identities)
    events = Counter(r["eventType"] for r in small_org.records)
    assert {"AwsApiCall", "AwsConsoleSignIn"} <= set(events)
    versions = {r["eventVersion"] for r in small_org.records}
    assert len(versions) >= 3


def test_errors_come_with_a_message_and_a_null_response(small_org: Generated) -> None:
    failed = [r for r in small_org.records if "errorCode" in r]
    assert failed
    assert all(r["errorMessage"] and r.get("responseElements") is None for r in failed)
    codes = Counter(r["errorCode"] for r in failed)
    assert {"AccessDenied", "Client.UnauthorizedOperation"} <= set(codes)


def test_lambda_events_keep_their_api_version(small_org: Generated) -> None:
    lambda_names = {
        r["eventName"] for r in small_org.records if r["eventSource"] == "lambda.amazonaws.com"
    }
    assert "UpdateFunctionCode20150331v2" in lambda_names


def test_sso_console_logins_say_no_mfa_as_identity_center_does(small_org: Generated) -> None:
    logins = [
        r
        for r in small_org.records
        if r["eventName"] == "ConsoleLogin"
        and "AWSReservedSSO_" in r["userIdentity"].get("arn", "")
    ]
    assert logins
    assert {r["additionalEventData"]["MFAUsed"] for r in logins} == {"No"}


def test_cross_account_calls_are_recorded_by_the_account_called(small_org: Generated) -> None:
    foreign = [r for r in small_org.records if r["userIdentity"]["type"] == "AWSAccount"]
    assert foreign
    accounts = {s["account_id"] for s in small_org.labels["scenarios"]}
    for r in foreign:
        assert r["recipientAccountId"] in accounts
        assert r["userIdentity"]["accountId"] != r["recipientAccountId"]
        if r["eventName"] != "AssumeRole":  # a partner's reads; the org's own accounts assume
            assert r["userIdentity"]["accountId"] not in accounts


def test_github_jobs_trade_an_oidc_token_for_the_deploy_role(small_org: Generated) -> None:
    logins = [r for r in small_org.records if r["eventName"] == "AssumeRoleWithWebIdentity"]
    assert logins
    for r in logins:
        assert r["userIdentity"]["type"] == "WebIdentityUser"
        assert r["responseElements"]["subjectFromWebIdentityToken"].startswith("repo:acme-corp/")
