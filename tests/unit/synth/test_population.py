"""The benign population is learnable: stable profiles, own rhythms, realistic noise."""

from __future__ import annotations

import itertools
import random
from collections import Counter, defaultdict
from typing import Any

import pytest

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.generate import DEFAULT_START
from trailguard.pipeline.synth.org import AccountPlan, Org, build_org, plan_account
from trailguard.pipeline.synth.profiles import Profile, day_calls
from trailguard.pipeline.synth.records import RecordFactory

DAYS = 14


@pytest.fixture(scope="module")
def org() -> Org:
    return build_org(21, 2, 40, DAYS, DEFAULT_START.timestamp())


@pytest.fixture(scope="module")
def plan(org: Org) -> AccountPlan:
    return plan_account(org, 0)


@pytest.fixture(scope="module")
def calls(org: Org, plan: AccountPlan) -> dict[str, list[tuple[int, float, dict[str, Any]]]]:
    """Two weeks of each principal's calls: (day, time, record) by principal key."""
    fac = RecordFactory(random.Random(1))
    out: dict[str, list[tuple[int, float, dict[str, Any]]]] = defaultdict(list)
    for day in range(DAYS):
        for p in plan.profiles:
            start = org.start + day * 86400
            for t, rec in day_calls(p, day, start, org.weekday(day), fac):
                out[p.ident.key].append((day, t, rec))
    return out


def _profiles(plan: AccountPlan, archetype: str) -> list[Profile]:
    found = [p for p in plan.profiles if p.archetype == archetype]
    assert found, archetype
    return found


def test_an_account_has_every_archetype(plan: AccountPlan) -> None:
    kinds = {p.archetype for p in plan.profiles}
    assert kinds >= {
        "human",
        "ci_role",
        "lambda_role",
        "ecs_role",
        "ec2_role",
        "aws_service",
        "legacy_user",
        "scanner",
        "root_user",
        "misconfigured",
    }


def test_rebuilding_an_account_gives_the_same_principals(org: Org, plan: AccountPlan) -> None:
    again = plan_account(org, 0)
    assert [p.ident.key for p in again.profiles] == [p.ident.key for p in plan.profiles]


def test_each_principal_keeps_to_a_few_addresses_and_agents(calls: dict[str, Any]) -> None:
    for key, items in calls.items():
        assert len({rec["sourceIPAddress"] for _, _, rec in items}) <= 3, key
        assert len({rec["userAgent"] for _, _, rec in items}) <= 2, key


def test_people_work_their_own_hours_on_weekdays(
    org: Org, plan: AccountPlan, calls: dict[str, Any]
) -> None:
    for p in _profiles(plan, "human"):
        assert p.workday is not None
        start, end = p.workday
        items = calls[p.ident.key]
        local_hours = [((t % 86400) / 3600 + p.tz_hours) % 24 for _, t, _ in items]
        inside = sum(start - 1 <= h < end for h in local_hours)
        assert inside >= 0.9 * len(items)
        if p.weekend == 0:
            assert not [d for d, _, _ in items if org.weekday(d) >= 5]


def test_workloads_call_from_aws_address_space(plan: AccountPlan, calls: dict[str, Any]) -> None:
    aws = tuple(f"{prefix}." for prefixes in net.AWS_PREFIXES.values() for prefix in prefixes)
    for archetype in ("lambda_role", "ecs_role", "ec2_role"):
        for p in _profiles(plan, archetype):
            assert all(rec["sourceIPAddress"].startswith(aws) for _, _, rec in calls[p.ident.key])


def test_workloads_run_around_the_clock(plan: AccountPlan, calls: dict[str, Any]) -> None:
    for p in _profiles(plan, "lambda_role"):
        hours = {int(t % 86400 // 3600) for _, t, _ in calls[p.ident.key]}
        assert len(hours) == 24


def test_a_misconfigured_workload_repeats_one_access_denied_every_few_minutes(
    plan: AccountPlan, calls: dict[str, Any]
) -> None:
    p = _profiles(plan, "misconfigured")[0]
    items = calls[p.ident.key]
    assert {(r["eventName"], r["errorCode"]) for _, _, r in items} == {
        (items[0][2]["eventName"], items[0][2]["errorCode"])
    }
    assert items[0][2]["errorCode"].startswith("AccessDenied")
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(items)]
    assert max(gaps) < 600 and {d for d, _, _ in items} == set(range(DAYS))


def test_the_scanner_lists_every_region_every_day(plan: AccountPlan, calls: dict[str, Any]) -> None:
    p = _profiles(plan, "scanner")[0]
    per_day: dict[int, set[str]] = defaultdict(set)
    for day, _, rec in calls[p.ident.key]:
        per_day[day].add(rec["awsRegion"])
    assert set(per_day) == set(range(DAYS))
    assert all(regions == set(plan.place.all_regions) for regions in per_day.values())


def test_ci_deploys_in_bursts(plan: AccountPlan, calls: dict[str, Any]) -> None:
    p = _profiles(plan, "ci_role")[0]
    per_10_minutes = Counter(int(t // 600) for _, t, _ in calls[p.ident.key])
    assert per_10_minutes and max(per_10_minutes.values()) >= 20


def test_root_signs_in_rarely_and_always_with_mfa(calls: dict[str, Any], plan: AccountPlan) -> None:
    root = _profiles(plan, "root_user")[0]
    items = calls[root.ident.key]
    logins = [r for _, _, r in items if r["eventName"] == "ConsoleLogin"]
    assert 1 <= len({d for d, _, _ in items}) <= 2
    assert logins and {r["additionalEventData"]["MFAUsed"] for r in logins} == {"Yes"}


def test_a_principals_api_mix_is_stable_week_over_week(
    plan: AccountPlan, calls: dict[str, Any]
) -> None:
    for p in _profiles(plan, "lambda_role"):
        weeks = [
            Counter(r["eventName"] for d, _, r in calls[p.ident.key] if d // 7 == w) for w in (0, 1)
        ]
        top = [{name for name, _ in week.most_common(3)} for week in weeks]
        assert len(top[0] & top[1]) >= 2
