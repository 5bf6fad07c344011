"""Features computed a shard of accounts at a time equal the features of the whole lake."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.helpers.findings import rule_finding
from tests.unit.features.lakes import START, at, feature_rows, make_lake, routine, window
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import upsert_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.shards import assign

ALICE_ACCOUNT, BOB_ACCOUNT, QUIET_ACCOUNT = "111122223333", "444455556666", "777788889999"
BOB = f"arn:aws:iam::{BOB_ACCOUNT}:user/bob"
S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]
DEPLOY = [("cloudformation.amazonaws.com", "DescribeStacks"), ("s3.amazonaws.com", "PutObject")]


def _user(account: str, name: str) -> dict[str, Any]:
    return {
        "userIdentity__arn": f"arn:aws:iam::{account}:user/{name}",
        "userIdentity__accountId": account,
        "userIdentity__userName": name,
        "recipientAccountId": account,
    }


def _organisation() -> list[dict[str, Any]]:
    """Alice (one account) for 8 days; Bob, her peer in another account, from day 6 only; a third
    account whose only events are AWS's own (AwsServiceEvent), which no feature counts."""
    alice, bob = _user(ALICE_ACCOUNT, "alice"), _user(BOB_ACCOUNT, "bob")
    records = list(routine(range(8), range(9, 12), S3_WORK, **alice))
    records.append(cloudtrail_event(eventTime=at(1, 10, 30), eventName="CreateAccessKey", **alice))
    records += routine(range(6, 8), range(9, 12), S3_WORK, **bob)
    # New for Bob, who is too young to be judged on his own history (7 days): judged against his
    # peer group, CreateAccessKey is not new (Alice, another account, called it on day 1), but
    # CreateUser is new for everyone in it.
    records.append(cloudtrail_event(eventTime=at(6, 10, 30), eventName="CreateAccessKey", **bob))
    records.append(cloudtrail_event(eventTime=at(6, 10, 40), eventName="CreateUser", **bob))
    for account in (ALICE_ACCOUNT, BOB_ACCOUNT):  # one pipeline role per account: one family
        deploy = assumed_role_identity(role=f"ci-deploy-{account[:3]}", account=account)
        records += routine(
            range(8), range(14, 15), DEPLOY, userIdentity=deploy, recipientAccountId=account
        )
    aws = _user(QUIET_ACCOUNT, "aws") | {"eventType": "AwsServiceEvent"}
    records += routine(range(8), range(3), [("kms.amazonaws.com", "RotateKey")], **aws)
    return records


def test_every_shard_count_gives_the_features_of_the_whole_lake(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _organisation())
    whole = build_features(lake)
    expected = feature_rows(lake)
    for shards in (2, 3, 4):
        stats = build_features(lake, full=True, shards=shards)
        assert feature_rows(lake) == expected, f"{shards} shards"
        assert stats.shards == min(shards, 3)  # at most one shard per account
        assert (stats.windows, stats.principals) == (whole.windows, whole.principals)
    assert {r["account_id"] for r in expected} == {ALICE_ACCOUNT, BOB_ACCOUNT}


def test_a_young_principal_is_judged_against_peers_in_other_shards(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _organisation())
    build_features(lake, shards=3)  # Alice, Bob and the quiet account: a shard each
    hour = window(feature_rows(lake, BOB), 6, 10)
    assert hour["ctx_cold_start"] == 1  # the peer group's history comes from Alice's shard
    assert hour["novel_peer_sensitive_apis"] == 1  # CreateUser; Alice made access keys before
    assert hour["novel_sensitive_apis"] == 1


def test_a_peers_finding_in_another_shard_leaves_its_calls_new_for_the_group(
    tmp_path: Path,
) -> None:
    # Alice's CreateAccessKey of day 1 was a finding: it is no history of the peer group, in
    # whichever shard Bob is computed, and every shard count still gives the whole lake's rows.
    lake = make_lake(tmp_path, _organisation())
    alice = f"arn:aws:iam::{ALICE_ACCOUNT}:user/alice"
    key_made = START + timedelta(days=1, hours=10, minutes=30)
    found = rule_finding(principal=alice, account_id=ALICE_ACCOUNT, first_seen=key_made)
    with open_db(lake) as con:
        upsert_findings(con, [dataclasses.replace(found, last_seen=key_made)])
    build_features(lake)
    expected = feature_rows(lake)
    for shards in (2, 3):
        build_features(lake, full=True, shards=shards)
        assert feature_rows(lake) == expected, f"{shards} shards"
    hour = window(feature_rows(lake, BOB), 6, 10)
    assert hour["ctx_cold_start"] == 1
    assert hour["novel_peer_sensitive_apis"] == 2  # CreateAccessKey too, now


def test_an_incremental_sharded_run_equals_a_rebuild(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _organisation(), "first")
    build_features(lake, shards=2)
    bob = _user(BOB_ACCOUNT, "bob")
    later = [cloudtrail_event(eventTime=at(8, 10), eventName="ListUsers", **bob)]
    make_lake(tmp_path, later, "later")
    stats = build_features(lake, shards=2)
    assert (stats.windows, stats.full) == (1, False)
    incremental = feature_rows(lake)
    build_features(lake, full=True)
    assert feature_rows(lake) == incremental


def test_accounts_are_spread_heaviest_first_over_at_most_one_shard_each() -> None:
    weights = {"a": 50, "b": 30, "c": 25, "d": 10, "e": 5}
    assert assign(weights, 2) == (("a", "d"), ("b", "c", "e"))
    assert assign(weights, 1) == (("a", "b", "c", "d", "e"),)
    assert assign({"a": 1, "b": 1}, 5) == (("a",), ("b",))
    assert assign({}, 3) == ()
    with pytest.raises(ValueError, match="at least 1"):
        assign(weights, 0)


def test_a_role_family_spans_shards(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _organisation())
    build_features(lake, shards=3)  # each deploy role in its own shard, a family of two
    groups = {(r["principal_key"], r["peer_group"]) for r in feature_rows(lake)}
    roles = {key for key, _ in groups if ":role/ci-deploy-" in key}
    assert len(roles) == 2
    assert {group for key, group in groups if key in roles} == {"family:ci-deploy"}
