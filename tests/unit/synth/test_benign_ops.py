"""The `ops` population (pipeline/synth/benign_ops/): operations work that is unusual and benign.

Each scenario is a hard negative with a documented real-world behaviour, a few dozen to a few
hundred valid CloudTrail records, a label naming its actor and time span, and the same bytes for
the same seed. Its people are the organisation's own, except where the work itself brings a new
identity (a contractor, a role reached from the management account, the platform's automation).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.pipeline.ingest.normalize import normalize_record
from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.defaults import DEFAULT_START
from trailguard.pipeline.synth.org import AccountPlan, Org, build_org, plan_account
from trailguard.pipeline.synth.scenario import load
from trailguard.pipeline.synth.schedule import Slot, run_slot

OPS = sorted(t for t in load() if t.startswith("tg.ops."))
SEED = 13
INGESTED = datetime(2026, 12, 1, tzinfo=UTC)
EVENT_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")
PRIVATE = re.compile(r"^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|127\.)")
# Scenarios whose actor is a new identity the work itself brings, and the role or set it uses.
NEW_ACTORS = {
    "tg.ops.support-switch-role": "assumed-role/OrganizationAccountAccessRole/",
    "tg.ops.contractor-onboarding": "assumed-role/AWSReservedSSO_PowerUserAccess_",
    "tg.ops.account-baseline": "assumed-role/AWSAFTExecution/AWSAFT-Session",
}

Run = tuple[list[dict[str, Any]], dict[str, Any]]


@pytest.fixture(scope="module")
def org() -> Org:
    return build_org(SEED, 3, 36, 14, DEFAULT_START.timestamp())


@pytest.fixture(scope="module")
def plan(org: Org) -> AccountPlan:
    return plan_account(org, 1)  # not the first account: the management account is another


def _run(org: Org, plan: AccountPlan, tid: str) -> Run:
    events, label = run_slot(org, plan, Slot("N042", tid, 1, 8, 0.3, None, "999988887777"))
    return [rec for _, rec in events], label


@pytest.fixture(scope="module")
def runs(org: Org, plan: AccountPlan) -> dict[str, Run]:
    return {tid: _run(org, plan, tid) for tid in OPS}


def test_the_population_has_at_least_seven_documented_hard_negatives() -> None:
    techniques = load()
    assert len(OPS) >= 7
    for tid in OPS:
        tech = techniques[tid]
        assert tech.kind == "hard_negative" and not tech.findings, tid
        assert tech.body.__doc__ and len(tech.body.__doc__.split()) >= 30, tid


@pytest.mark.parametrize("tid", OPS)
def test_a_scenario_is_a_few_dozen_to_a_few_hundred_events(runs: dict[str, Run], tid: str) -> None:
    records, _ = runs[tid]
    assert 25 <= len(records) <= 500


@pytest.mark.parametrize("tid", OPS)
def test_a_scenario_emits_its_documented_calls(runs: dict[str, Run], tid: str) -> None:
    records, _ = runs[tid]
    assert set(load()[tid].calls) <= {r["eventName"] for r in records}


@pytest.mark.parametrize("tid", OPS)
def test_records_pass_ingest_normalization_without_salvage(runs: dict[str, Run], tid: str) -> None:
    records, _ = runs[tid]
    for rec in records:
        row = normalize_record(rec, "synth", INGESTED)
        assert row["extra"] is None and not row["event_id_derived"], rec["eventName"]
        assert row["principal_key"]


@pytest.mark.parametrize("tid", OPS)
def test_records_are_real_api_calls_recorded_by_the_scenarios_account(
    runs: dict[str, Run], plan: AccountPlan, tid: str
) -> None:
    records, label = runs[tid]
    for rec in records:
        assert api(rec["eventName"], rec["eventSource"])  # a real name of that service
        assert EVENT_TIME.match(rec["eventTime"])
        assert rec["recipientAccountId"] == label["account_id"] == plan.account_id
        source = rec["sourceIPAddress"]
        assert (IPV4.match(source) and not PRIVATE.match(source)) or source.endswith(
            ".amazonaws.com"
        ), source
        if "errorCode" in rec:
            assert rec["errorMessage"] and rec["responseElements"] is None


@pytest.mark.parametrize("tid", OPS)
def test_real_tools_hit_real_errors_but_seldom(runs: dict[str, Run], tid: str) -> None:
    records, _ = runs[tid]
    assert sum("errorCode" in r for r in records) <= 0.15 * len(records)


@pytest.mark.parametrize("tid", OPS)
def test_the_label_is_a_hard_negative_naming_its_actor_and_span(
    runs: dict[str, Run], plan: AccountPlan, tid: str
) -> None:
    records, label = runs[tid]
    assert label["kind"] == "hard_negative" and label["technique"] == tid
    assert label["difficulty"] is None and label["expected_finding_types"] == []
    assert label["event_ids"] == [r["eventID"] for r in records]
    times = [r["eventTime"] for r in records]
    assert (label["start"], label["end"]) == (min(times), max(times))
    keys = {normalize_record(r, "synth", INGESTED)["principal_key"] for r in records}
    assert label["principal_key"] in keys
    own = {p.ident.key for p in plan.profiles}
    people = {p.ident.session_name for p in plan.profiles if p.archetype == "human"}
    if tid in NEW_ACTORS:
        assert NEW_ACTORS[tid] in label["principal_key"]
        assert label["principal_key"] not in own
    else:  # one of the account's own people, in their usual permission set or one that writes
        assert label["principal_key"].rsplit("/", 1)[1] in people


@pytest.mark.parametrize("tid", OPS)
def test_a_scenario_is_the_same_for_the_same_seed(org: Org, plan: AccountPlan, tid: str) -> None:
    rebuilt = build_org(SEED, 3, 36, 14, DEFAULT_START.timestamp())
    assert _run(rebuilt, plan_account(rebuilt, 1), tid) == _run(org, plan, tid)
    other = build_org(SEED + 1, 3, 36, 14, DEFAULT_START.timestamp())
    assert _run(other, plan_account(other, 1), tid)[0] != _run(org, plan, tid)[0]


def test_work_that_writes_is_never_done_in_a_read_only_permission_set(
    runs: dict[str, Run],
) -> None:
    for tid, (records, _) in runs.items():
        writes = [r for r in records if not r["readOnly"] and "errorCode" not in r]
        assert not [
            r for r in writes if "AWSReservedSSO_ReadOnly_" in r["userIdentity"].get("arn", "")
        ], tid


def test_the_support_engineer_is_recorded_as_the_management_accounts_call_first(
    runs: dict[str, Run], org: Org, plan: AccountPlan
) -> None:
    records, _ = runs["tg.ops.support-switch-role"]
    assume = records[0]
    assert assume["eventName"] == "AssumeRole" and assume["sharedEventID"]
    caller = assume["userIdentity"]
    assert caller["type"] == "AWSAccount"
    assert caller["accountId"] in org.account_ids and caller["accountId"] != plan.account_id
    session = assume["requestParameters"]["roleSessionName"]
    assert caller["principalId"].endswith(f":{session}") and "@" in session


def test_the_contractor_works_from_a_coworking_line_with_windows_tools(
    runs: dict[str, Run], plan: AccountPlan
) -> None:
    records, _ = runs["tg.ops.contractor-onboarding"]
    agents = {r["userAgent"] for r in records}
    assert any("os/windows" in a and "md/command#" in a for a in agents)
    assert any(a.startswith("AWSPowerShell") for a in agents)
    known = {ip for p in plan.profiles for ip in p.ips}
    assert not {r["sourceIPAddress"] for r in records} & known


def test_cloudshell_commands_come_from_aws_with_cloudshells_agent(runs: dict[str, Run]) -> None:
    records, _ = runs["tg.ops.cloudshell-session"]
    shell = [r for r in records if "exec-env/CloudShell" in r["userAgent"]]
    assert len(shell) >= 20
    region = shell[0]["awsRegion"]
    aws = tuple(f"{p}." for p in net.AWS_PREFIXES[region])
    assert all(r["sourceIPAddress"].startswith(aws) for r in shell)
    assert all(r["eventSource"] != "cloudshell.amazonaws.com" for r in shell)


@pytest.mark.parametrize(
    "tid, service",
    [
        ("tg.ops.analyst-athena-first-week", "athena.amazonaws.com"),
        ("tg.ops.backup-restore-drill", "backup.amazonaws.com"),
        ("tg.ops.fis-game-day", "fis.amazonaws.com"),
        ("tg.ops.key-and-certificate-rotation", "secretsmanager.amazonaws.com"),
    ],
)
def test_a_service_acting_for_a_principal_is_named_as_its_source_and_invoker(
    runs: dict[str, Run], tid: str, service: str
) -> None:
    records, _ = runs[tid]
    served = [r for r in records if r["userIdentity"].get("invokedBy") == service]
    assert served
    assert all(r["sourceIPAddress"] == r["userAgent"] == service for r in served)
    assert all("tlsDetails" not in r for r in served)


def test_the_game_days_role_session_is_named_after_its_experiment(runs: dict[str, Run]) -> None:
    records, _ = runs["tg.ops.fis-game-day"]
    starts = [r for r in records if r["eventName"] == "StartExperiment"]
    started = [r["responseElements"]["experiment"]["id"] for r in starts]
    fis = [r for r in records if r["userIdentity"].get("invokedBy") == "fis.amazonaws.com"]
    sessions = {r["userIdentity"]["arn"].rsplit("/", 1)[-1] for r in fis}
    assert sessions <= set(started) and len(started) == 2
