"""Each technique emits its documented calls; quiet ones blend in, loud ones do not."""

from __future__ import annotations

import re
from typing import Any

import pytest

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.defaults import DEFAULT_START
from trailguard.pipeline.synth.org import AccountPlan, Org, build_org, plan_account
from trailguard.pipeline.synth.scenario import REGISTRY, WORKLOADS, Ctx, load, technique
from trailguard.pipeline.synth.schedule import Slot, run_slot

TECHNIQUES = load()
ATTACKS = sorted(t for t, tech in TECHNIQUES.items() if tech.kind == "attack")
# A console login without MFA is, by definition, from a new place: it never blends in.
BLENDERS = [t for t in ATTACKS if "ConsoleLogin" not in TECHNIQUES[t].calls]
HARD_NEGATIVES = sorted(t for t, tech in TECHNIQUES.items() if tech.kind == "hard_negative")
OUTSIDE = "999988887777"
REQUIRED_CALLS = {
    "StopLogging",
    "DeleteTrail",
    "PutEventSelectors",
    "DeleteDetector",
    "GetPasswordData",
    "ListSecrets",
    "GetSecretValue",
    "BatchGetSecretValue",
    "GetParameters",
    "CreateUser",
    "CreateAccessKey",
    "AttachUserPolicy",
    "CreateLoginProfile",
    "UpdateLoginProfile",
    "UpdateAssumeRolePolicy",
    "UpdateFunctionCode20150331v2",
    "AddPermission20150331v2",
    "ModifySnapshotAttribute",
    "ModifyImageAttribute",
    "ModifyDBSnapshotAttribute",
    "PutBucketPolicy",
    "AuthorizeSecurityGroupIngress",
    "RunInstances",
    "SendCommand",
    "StartSession",
    "GetFederationToken",
    "LeaveOrganization",
    "ConsoleLogin",
}


@pytest.fixture(scope="module")
def org() -> Org:
    return build_org(5, 2, 24, 12, DEFAULT_START.timestamp())


@pytest.fixture(scope="module")
def plan(org: Org) -> AccountPlan:
    return plan_account(org, 0)


def _run(org: Org, plan: AccountPlan, tid: str, difficulty: str | None) -> list[dict[str, Any]]:
    slot = Slot("T001", tid, 0, 8, 0.4, difficulty, OUTSIDE)
    events, _ = run_slot(org, plan, slot)
    return [rec for _, rec in events]


def test_the_library_covers_the_issue_list() -> None:
    documented = {call for tech in TECHNIQUES.values() for call in tech.calls}
    assert documented >= REQUIRED_CALLS
    assert len(ATTACKS) >= 25 and len(HARD_NEGATIVES) >= 5


@pytest.mark.parametrize("tid", sorted(TECHNIQUES))
def test_technique_ids_are_stratus_ids_or_marked_as_ours(tid: str) -> None:
    assert re.match(r"^(aws|tg)\.[a-z-]+\.[a-z0-9-]+$", tid)


@pytest.mark.parametrize("difficulty", ["loud", "quiet"])
@pytest.mark.parametrize("tid", ATTACKS)
def test_attack_emits_its_documented_calls(
    org: Org, plan: AccountPlan, tid: str, difficulty: str
) -> None:
    names = {rec["eventName"] for rec in _run(org, plan, tid, difficulty)}
    assert set(TECHNIQUES[tid].calls) <= names


@pytest.mark.parametrize("tid", HARD_NEGATIVES)
def test_hard_negative_emits_its_documented_calls(org: Org, plan: AccountPlan, tid: str) -> None:
    names = {rec["eventName"] for rec in _run(org, plan, tid, None)}
    assert set(TECHNIQUES[tid].calls) <= names


@pytest.mark.parametrize("tid", ATTACKS)
def test_quiet_attack_is_short_and_error_free(org: Org, plan: AccountPlan, tid: str) -> None:
    records = _run(org, plan, tid, "quiet")
    assert 5 <= len(records) <= 15
    assert not [r for r in records if "errorCode" in r]


@pytest.mark.parametrize("tid", BLENDERS)
def test_quiet_attack_uses_the_victims_own_address_and_agent(
    org: Org, plan: AccountPlan, tid: str
) -> None:
    records = _run(org, plan, tid, "quiet")
    victim = next(p for p in plan.profiles if p.ident.key == _key(records[0]))
    agents = {*victim.agents, victim.browser}
    assert {r["userAgent"] for r in records} <= agents
    if victim.archetype in WORKLOADS:  # stolen workload credentials are used outside AWS
        assert not {r["sourceIPAddress"] for r in records} & set(victim.ips)
    else:
        assert {r["sourceIPAddress"] for r in records} <= set(victim.ips)


@pytest.mark.parametrize("tid", ATTACKS)
def test_loud_attack_comes_from_attacker_space(org: Org, plan: AccountPlan, tid: str) -> None:
    records = _run(org, plan, tid, "loud")
    hostile = tuple(f"{p}." for p in net.HOSTILE_PREFIXES)
    assert all(r["sourceIPAddress"].startswith(hostile) for r in records)


def test_loud_attacks_fail_some_calls_during_discovery(org: Org, plan: AccountPlan) -> None:
    errors = [
        sum("errorCode" in r for r in _run(org, plan, tid, "loud"))
        for tid in ATTACKS
        if tid != "aws.initial-access.console-login-without-mfa"
    ]
    assert sum(1 for e in errors if e) >= len(errors) * 0.8


def test_stolen_instance_credentials_are_a_workloads_role_used_outside_aws(
    org: Org, plan: AccountPlan
) -> None:
    records = _run(org, plan, "aws.credential-access.ec2-steal-instance-credentials", "quiet")
    victim = next(p for p in plan.profiles if p.ident.key == _key(records[0]))
    assert victim.archetype in WORKLOADS


def test_a_new_technique_registers_itself_without_a_central_list() -> None:
    @technique("tg.test.example", "Example", calls=("GetCallerIdentity",))
    def example(c: Ctx) -> None:
        c.recon()

    try:
        assert load()["tg.test.example"].body is example
    finally:
        del REGISTRY["tg.test.example"]


def _key(record: dict[str, Any]) -> str:
    from trailguard.pipeline.ingest.principals import principal_of

    return principal_of(record["userIdentity"]).key
