"""Counting rules (@threshold_rule): the sliding window over keys, and the SQL prefilter.

A case is (rule, what it shows, events as (minutes after the first, record overrides), expected
number of events matched): each counting rule gets a burst that reaches its count and a spread or
short one that does not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from tests.factories import assumed_role_identity, cloudtrail_event, rule_event
from trailguard.models.registry import load_rules
from trailguard.models.rules.base import Event, RuleContext
from trailguard.pipeline.detect.rule_windows import distinct_keys, windows_met
from trailguard.pipeline.sqlfiles import read_sql

RULES = load_rules()
START = datetime(2026, 10, 5, 14, 0, tzinfo=UTC)
_INSTANCE_ROLE = assumed_role_identity(role="web", session="i-0abc123def4567890")


def _events(calls: list[tuple[float, dict[str, Any]]]) -> list[Event]:
    return [
        rule_event(cloudtrail_event(eventTime=_at(minutes), **overrides))
        for minutes, overrides in calls
    ]


def _at(minutes: float) -> str:
    return (START + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _each(n: int, every: float, make: Any) -> list[tuple[float, dict[str, Any]]]:
    return [(i * every, make(i)) for i in range(n)]


def _secret(i: int) -> dict[str, Any]:
    return {"eventName": "GetSecretValue", "requestParameters": {"secretId": f"prod/s{i}"}}


def _password(i: int) -> dict[str, Any]:
    return {"eventName": "GetPasswordData", "requestParameters": {"instanceId": f"i-{i:017x}"}}


def _delete(i: int) -> dict[str, Any]:
    return {"eventName": "DeleteObject", "requestParameters": {"bucketName": "b", "key": f"k{i}"}}


def _params(i: int) -> dict[str, Any]:
    names = [f"/app/p{i}-{j}" for j in range(10)]
    return {
        "eventName": "GetParameters",
        "requestParameters": {"names": names, "withDecryption": True},
    }


def _user_data(i: int) -> dict[str, Any]:
    request = {"attribute": "userData", "instanceId": f"i-{i:017x}"}
    return {"eventName": "DescribeInstanceAttribute", "requestParameters": request}


def _session(i: int) -> dict[str, Any]:
    return {"eventName": "StartSession", "requestParameters": {"target": f"i-{i:017x}"}}


def _connect(i: int) -> dict[str, Any]:
    return {"eventName": "SendSSHPublicKey", "requestParameters": {"instanceId": f"i-{i:017x}"}}


def _command(i: int) -> dict[str, Any]:
    request = {"documentName": "AWS-RunShellScript", "instanceIds": [f"i-{i:017x}"]}
    return {"eventName": "SendCommand", "requestParameters": request}


def _deregister(i: int) -> dict[str, Any]:
    return {"eventName": "DeregisterImage", "requestParameters": {"imageId": f"ami-{i:017x}"}}


def _batch(i: int) -> dict[str, Any]:
    request = {"filters": [{"key": "tag-key", "values": ["app"]}]}
    return {"eventName": "BatchGetSecretValue", "requestParameters": request}


_RECON = (
    "ListUsers",
    "ListRoles",
    "GetAccountSummary",
    "ListBuckets",
    "DescribeTrails",
    "ListDetectors",
)


def _recon(i: int) -> dict[str, Any]:
    return {"userIdentity": _INSTANCE_ROLE, "eventName": _RECON[i % len(_RECON)]}


def _ses(i: int) -> dict[str, Any]:
    return {"eventSource": "ses.amazonaws.com", "eventName": ("GetSendQuota", "ListIdentities")[i]}


def _purge(i: int) -> dict[str, Any]:
    name = ("ListObjectVersions", "DeleteObjects")[i]
    return {"eventName": name, "requestParameters": {"bucketName": "b"}}


def _listed(name: str, identity: dict[str, Any] | None = None) -> dict[str, Any]:
    """A store listed (ListSecrets, DescribeParameters), by alice unless `identity` is given."""
    return {"eventName": name, **({"userIdentity": identity} if identity else {})}


def _listed_then(
    listing: str, read: Any, n: int, identity: dict[str, Any] | None = None
) -> list[tuple[float, dict[str, Any]]]:
    """A listing, then `n` reads a minute apart (by `identity` when given)."""
    reads = _each(n, 1, lambda i: {**read(i), **({"userIdentity": identity} if identity else {})})
    return [(0.0, _listed(listing, identity)), *((m + 1, o) for m, o in reads)]


def _param(i: int, decrypted: bool = True) -> dict[str, Any]:
    request = {"name": f"/app{i}/config", "withDecryption": decrypted}
    return {"eventName": "GetParameter", "requestParameters": request}


def _six_params(i: int) -> dict[str, Any]:
    names = [f"/app{j}/config" for j in range(6)]
    return {
        "eventName": "GetParameters",
        "requestParameters": {"names": names, "withDecryption": True},
    }


Case = tuple[str, str, list[tuple[float, dict[str, Any]]], int]
WINDOW_CASES: list[Case] = [
    ("secrets_mass_retrieval", "12 secrets in 6 minutes", _each(12, 0.5, _secret), 12),
    ("secrets_mass_retrieval", "the same secret 12 times", _each(12, 0.5, lambda i: _secret(0)), 0),
    ("secrets_mass_retrieval", "12 secrets over 2 hours", _each(12, 10, _secret), 0),
    ("ec2_password_data_retrieval", "5 instances in 20 minutes", _each(5, 5, _password), 5),
    ("ec2_password_data_retrieval", "4 instances", _each(4, 1, _password), 0),
    ("s3_mass_deletion", "60 objects in 6 minutes", _each(60, 0.1, _delete), 60),
    ("s3_mass_deletion", "49 objects", _each(49, 0.1, _delete), 0),
    ("ssm_parameters_mass_decryption", "2 batches of 10", _each(2, 1, _params), 2),
    ("ssm_parameters_mass_decryption", "1 batch of 10", _each(1, 1, _params), 0),
    ("ec2_user_data_download", "5 instances", _each(5, 1, _user_data), 5),
    ("ec2_user_data_download", "5 instances over an hour", _each(5, 15, _user_data), 0),
    ("ssm_session_sweep", "3 instances in 4 minutes", _each(3, 2, _session), 3),
    ("ssm_session_sweep", "2 instances", _each(2, 2, _session), 0),
    ("instance_connect_sweep", "3 instances", _each(3, 1, _connect), 3),
    ("instance_connect_sweep", "3 instances over half an hour", _each(3, 15, _connect), 0),
    ("ssm_command_sweep", "3 instances", _each(3, 1, _command), 3),
    ("ssm_command_sweep", "2 instances", _each(2, 1, _command), 0),
    ("ami_mass_deregistration", "5 images in 40 minutes", _each(5, 10, _deregister), 5),
    ("ami_mass_deregistration", "one a day's pruning", _each(2, 10, _deregister), 0),
    ("secrets_batch_paging", "3 filtered pages", _each(3, 1, _batch), 3),
    ("secrets_batch_paging", "one filtered call", _each(1, 1, _batch), 0),
    ("instance_enumeration", "6 recon APIs from an instance", _each(6, 1, _recon), 6),
    ("instance_enumeration", "4 recon APIs", _each(4, 1, _recon), 0),
    ("ses_enumeration", "quota and identities", _each(2, 1, _ses), 2),
    ("ses_enumeration", "quota alone", _each(1, 1, _ses), 0),
    ("s3_version_purge", "versions listed, then batch-deleted", _each(2, 1, _purge), 2),
    ("s3_version_purge", "a batch deletion alone", [(0.0, _purge(1))], 0),
    ("secrets_listed_then_read", "listed, then 5 read", _listed_then("ListSecrets", _secret, 5), 6),
    ("secrets_listed_then_read", "5 read by name", _each(5, 1, _secret), 0),
    (
        "secrets_listed_then_read",
        "a script's listing and 5 reads in one second",
        [(0.0, _listed("ListSecrets")), *((0.0, _secret(i)) for i in range(5))],
        6,
    ),
    (
        "secrets_listed_then_read",
        "5 read by name, then listed",
        [*_each(5, 1, _secret), (6.0, _listed("ListSecrets"))],
        0,
    ),
    ("secrets_listed_then_read", "listed, then 4 read", _listed_then("ListSecrets", _secret, 4), 0),
    (
        "secrets_listed_then_read",
        "a workload lists and reads 6",
        _listed_then("ListSecrets", _secret, 6, _INSTANCE_ROLE),
        0,
    ),
    (
        "ssm_parameters_listed_then_read",
        "listed, then 6 read decrypted in one call",
        _listed_then("DescribeParameters", _six_params, 1),
        2,
    ),
    (
        "ssm_parameters_listed_then_read",
        "listed, then 5 read in ciphertext",
        _listed_then("DescribeParameters", lambda i: _param(i, decrypted=False), 5),
        0,
    ),
    (
        "ssm_parameters_listed_then_read",
        "5 read decrypted by name",
        _each(5, 1, _param),
        0,
    ),
]


@pytest.mark.parametrize(
    ("rule_id", "calls", "matched"),
    [pytest.param(r, c, m, id=f"{r}:{what}") for r, what, c, m in WINDOW_CASES],
)
def test_counting_rule_window(
    rule_id: str, calls: list[tuple[float, dict[str, Any]]], matched: int
) -> None:
    rule = RULES[rule_id]
    events = [e for e in _events(calls) if rule.matches(e)]
    assert len(windows_met(rule, events)) == matched


def test_principals_are_counted_apart() -> None:
    rule = RULES["secrets_mass_retrieval"]
    alice = _events(_each(6, 0.5, _secret))
    bob = _events(
        [
            (
                m,
                {
                    **o,
                    "userIdentity__arn": "arn:aws:iam::111122223333:user/bob",
                    "userIdentity__userName": "bob",
                },
            )
            for m, o in _each(6, 0.5, lambda i: _secret(i + 6))
        ]
    )
    assert windows_met(rule, alice + bob) == []


def test_evidence_keys_are_the_distinct_secrets() -> None:
    rule = RULES["secrets_mass_retrieval"]
    events = _events(_each(3, 1, _secret) + _each(1, 1, lambda i: _secret(0)))
    assert distinct_keys(rule, events) == ["prod/s0", "prod/s1", "prod/s2"]


def test_the_listing_a_rule_requires_is_not_among_its_evidence_keys() -> None:
    rule = RULES["secrets_listed_then_read"]
    events = _events(_listed_then("ListSecrets", _secret, 2))
    assert distinct_keys(rule, events) == ["prod/s0", "prod/s1"]


def test_reads_before_the_listing_are_not_part_of_the_match() -> None:
    rule = RULES["secrets_listed_then_read"]
    earlier = [(-3.0, _secret(90)), (-2.0, _secret(91))]
    events = _events(earlier + _listed_then("ListSecrets", _secret, 5))
    met = windows_met(rule, [e for e in events if rule.matches(e)])
    assert distinct_keys(rule, met) == [f"prod/s{i}" for i in range(5)]


def test_a_secret_named_by_arn_counts_as_its_name() -> None:
    rule = RULES["secrets_mass_retrieval"]
    arn = "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/s1-AbCdEf"
    events = _events(
        [
            (0, _secret(1)),
            (1, {"eventName": "GetSecretValue", "requestParameters": {"secretId": arn}}),
        ]
    )
    assert distinct_keys(rule, events, RuleContext()) == ["prod/s1"]


def _index(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, datetime, str]]) -> None:
    con.execute(
        "CREATE TABLE counted_index (event_id VARCHAR, event_date DATE, account_id VARCHAR, "
        "event_time TIMESTAMPTZ, event_name_base VARCHAR, identity_type VARCHAR, "
        "session_name VARCHAR, principal_key VARCHAR, session_issuer_arn VARCHAR, "
        "source_ip_address VARCHAR, source_is_ip BOOLEAN, request_hash UBIGINT, "
        "counted STRUCT(request_parameters VARCHAR, error_code VARCHAR))"
    )
    con.executemany(
        "INSERT INTO counted_index VALUES (?, ?, '111122223333', ?, ?, 'IAMUser', '', ?, NULL, "
        "'198.51.100.23', true, 7, {'request_parameters': '{}', 'error_code': NULL})",
        [(i, t.date(), t, name, who) for i, (name, t, who) in enumerate(rows)],
    )


def _secret_reads(*, by_request: bool) -> dict[str, object]:
    """threshold_candidates.sql's parameters: 3 GetSecretValue keys within 10 minutes."""
    return {
        "since": None,
        "event_names": ["GetSecretValue"],
        "identity_types": [],
        "workloads_only": False,
        "workloads": [],
        "window": timedelta(minutes=10),
        "count": 3,
        "per_event": 1,
        "batched": [],
        "by_request": by_request,
    }


def test_sql_keeps_only_the_events_of_dense_windows() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    burst = [("GetSecretValue", START + timedelta(minutes=m), "alice") for m in (0, 3, 6, 9)]
    lone = [("GetSecretValue", START + timedelta(hours=3), "alice")]
    other = [("GetSecretValue", START + timedelta(minutes=m), "bob") for m in (0, 30)]
    _index(con, burst + lone + other)
    params = _secret_reads(by_request=False)
    rows = con.execute(read_sql("detect/threshold_candidates.sql"), params).fetchall()
    assert sorted(int(r[0]) for r in rows) == [0, 1, 2, 3]


def test_sql_counts_distinct_requests_when_the_keys_come_from_the_request() -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    _index(con, [("GetSecretValue", START + timedelta(minutes=m), "alice") for m in (0, 1, 2, 3)])
    params = _secret_reads(by_request=True)
    # Four reads of the same request (the same secret): one distinct request, below the bound.
    assert con.execute(read_sql("detect/threshold_candidates.sql"), params).fetchall() == []
