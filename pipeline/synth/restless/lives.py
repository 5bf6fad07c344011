"""One account's restless benign population: each planned profile becomes a day-by-day life.

People, CI roles and Lambda/ECS/EC2 roles get restless lives (``people.py``, ``ci.py``,
``workloads.py``); the other archetypes (AWS services, the scanner, root, legacy jobs, partners,
the misconfigured workload) are machines or rare visitors whose steady profile already fits.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.org import AccountPlan, Org, rng_for
from trailguard.pipeline.synth.profiles import Profile, day_calls
from trailguard.pipeline.synth.records import RecordFactory
from trailguard.pipeline.synth.restless import tools
from trailguard.pipeline.synth.restless.ci import ci_days, scenario_profile
from trailguard.pipeline.synth.restless.people import SERVICES, PersonDays
from trailguard.pipeline.synth.restless.week import person_week
from trailguard.pipeline.synth.restless.workloads import workload_days

# (day, day_start, weekday, factory, scale) -> the principal's calls of that day
Life = Callable[[int, float, int, RecordFactory, float], list[Timed]]
DayCalls = Callable[[int, float, RecordFactory], list[Timed]]
_WORKLOADS = frozenset({"lambda_role", "ecs_role", "ec2_role"})


def restless_days(org: Org, plan: AccountPlan) -> DayCalls:
    """The account's benign calls of one day, every principal living its restless life."""
    pool = vpn_pool(org)
    lives = [_life(org, plan, i, p, pool) for i, p in enumerate(plan.profiles)]

    def calls(day: int, day_start: float, fac: RecordFactory) -> list[Timed]:
        weekday, scale = org.weekday(day), org.intensity
        return [item for life in lives for item in life(day, day_start, weekday, fac, scale)]

    return calls


def scenario_plan(org: Org, plan: AccountPlan) -> AccountPlan:
    """The account as its scenarios see it: each principal in the context its restless life
    calls from, so that a quiet attack or a benign novelty comes from the victim's own places.
    People keep the steady profile's addresses (their office, which their restless weeks keep
    using, and their first home lease) and workloads their AWS addresses; CI roles run a job on
    a runner of their kind (``ci.scenario_profile``)."""
    home = plan.place.all_regions[0]  # where a CI role's first matrix job, and its runner, is
    profiles = [
        scenario_profile(org, plan.index, i, p, home) if p.archetype == "ci_role" else p
        for i, p in enumerate(plan.profiles)
    ]
    return dataclasses.replace(plan, profiles=profiles)


def vpn_pool(org: Org) -> tuple[str, ...]:
    """The corporate VPN's egress addresses (most organisations have one; a few do not)."""
    rng = rng_for(org.seed, "habits", "vpn")
    if rng.random() < 0.2:
        return ()
    return tuple(net.ip_in(rng, tools.VPN_PREFIXES) for _ in range(rng.randrange(3, 7)))


def _life(org: Org, plan: AccountPlan, index: int, p: Profile, pool: tuple[str, ...]) -> Life:
    if p.archetype == "human":
        return _person(org, plan, p, pool)
    if p.archetype == "ci_role":
        return ci_days(org, plan.index, index, p, plan.place.all_regions[:4])
    if p.archetype in _WORKLOADS:
        return workload_days(org, plan.index, index, p)
    return functools.partial(day_calls, p)


def _person(org: Org, plan: AccountPlan, p: Profile, pool: tuple[str, ...]) -> PersonDays:
    """A person's life in this account: their week, plus this account's third region and the
    services they take up here, every one to two weeks, from the first week on."""
    email = p.ident.session_name
    person = next(x for x in org.people if x.email == email)
    rng = rng_for(org.seed, "habits", "work", plan.index, email)
    third = next(r for r in plan.place.all_regions if r not in p.regions)
    days = org.days
    third_days = frozenset(d for d in range(days) if rng.random() < 0.08)
    unused = [s for s in SERVICES if not set(SERVICES[s][0]) & set(p.apis)]
    rng.shuffle(unused)
    new, day = [], rng.randrange(0, 8)
    while day < days and unused:
        new.append((day, unused.pop()))
        day += rng.randrange(7, 15)
    return PersonDays(p, person_week(org, person, pool), third, third_days, new, pool)
