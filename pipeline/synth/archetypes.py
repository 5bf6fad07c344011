"""The benign population: one builder per principal archetype, each a stable ``Profile``.

Builders register themselves with ``@archetype(share)``; ``share`` is the archetype's part of
an account's principals (0 for the ones every account has exactly one of). People and
pipelines live here, machine principals in ``workloads.py``; ``registered()`` loads both.
"""

from __future__ import annotations

import importlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from trailguard.pipeline.synth import identities as ids
from trailguard.pipeline.synth import mixes
from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.params import Resources
from trailguard.pipeline.synth.people import Person
from trailguard.pipeline.synth.profiles import Profile


@dataclass(frozen=True)
class Place:
    """What a builder needs about the account it builds for."""

    account: str
    resources: Resources
    regions: tuple[str, ...]
    all_regions: tuple[str, ...]
    days: int
    holidays: frozenset[int]
    org_accounts: tuple[str, ...] = ()  # every account of the organisation, this one included


Weights = tuple[float, ...]
Builder = Callable[[random.Random, Place, Person | None], Profile]
ARCHETYPES: dict[str, tuple[Builder, float]] = {}


def registered() -> dict[str, tuple[Builder, float]]:
    """Every archetype, after importing the modules that register them."""
    importlib.import_module("trailguard.pipeline.synth.workloads")
    return ARCHETYPES


def archetype(share: float) -> Callable[[Builder], Builder]:
    """Register a builder under its function name with its share of principals."""

    def register(fn: Builder) -> Builder:
        ARCHETYPES[fn.__name__] = (fn, share)
        return fn

    return register


def mix(table: Mapping[str, float], rng: random.Random) -> tuple[tuple[str, ...], Weights]:
    """A principal's own version of an archetype's mix: same APIs, personal proportions."""
    names = tuple(table)
    return names, tuple(w * rng.uniform(0.5, 1.5) for w in table.values())


@archetype(0.30)
def human(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """A person through Identity Center: console and CLI, working hours, weekdays."""
    assert person is not None
    ident = ids.sso_user(rng, place.account, person.permission_set, person.email)
    apis, weights = mix(mixes.ADMIN if person.permission_set == "Admin" else mixes.DEV, rng)
    return Profile(
        ident,
        "human",
        "hourly",
        apis,
        weights,
        rng.uniform(8, 30),
        person.ips,
        (person.cli,),
        place.regions[:2],
        place.resources,
        error_rate=rng.uniform(0.005, 0.04),
        tz_hours=person.tz_hours,
        workday=(rng.choice((8, 9, 10)), rng.choice((17, 18, 19))),
        weekend=rng.choice((0.0, 0.0, 0.05)),
        days_off=person.days_off | place.holidays,
        drift=rng.uniform(-0.01, 0.01),
        console=person.console,
        browser=person.browser,
    )


@archetype(0.08)
def ci_role(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """A CI/CD deploy role: bursts on workdays from runner addresses, Terraform or Boto3."""
    name = rng.choice(("github-actions-deploy", "gitlab-ci-deploy", "terraform-apply"))
    session = rng.choice(("GitHubActions", f"botocore-session-{rng.randrange(10**9, 10**10)}"))
    ident = ids.assumed_role(rng, place.account, f"{name}-{rng.randrange(100, 999)}", session)
    apis, weights = mix(mixes.DEPLOY, rng)
    agents = (
        net.TERRAFORM.format(
            n=rng.randrange(0, 8), m=rng.randrange(0, 3), svc=rng.choice(("lambda", "ecs", "s3"))
        ),
        net.boto3_agent(rng),
    )
    runners = tuple(net.ip_in(rng, net.CI_PREFIXES) for _ in range(3))
    repository = f"acme-corp/{rng.choice(place.resources.stacks)}"
    # GitHub Actions jobs get the role through OIDC; other runners hold an assumed session.
    oidc = ids.github_oidc(place.account, repository) if session == "GitHubActions" else None
    return Profile(
        ident,
        "ci_role",
        "bursts",
        apis,
        weights,
        rng.uniform(40, 160),
        runners,
        agents,
        place.regions[:2],
        place.resources,
        error_rate=0.01,
        tz_hours=rng.choice((-5, 1)),
        workday=(9, 19),
        weekend=0.05,
        days_off=place.holidays,
        token_issuer=oidc,
    )


@archetype(0.05)
def legacy_user(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """An IAM user with a long-term key, running a nightly job from one datacenter address."""
    job = rng.choice(("backup", "reporting", "etl"))
    name = f"{job}-{rng.choice(('svc', 'bot', 'job'))}-{rng.randrange(1, 99)}"
    ident = ids.iam_user(rng, place.account, name)
    apis, weights = mix(mixes.NIGHTLY, rng)
    agent = net.LEGACY_CLI if rng.random() < 0.5 else net.boto3_agent(rng)
    return Profile(
        ident,
        "legacy_user",
        "hourly",
        apis,
        weights,
        rng.uniform(40, 120),
        (net.ip_in(rng, net.ISP_PREFIXES),),
        (agent,),
        place.regions[:1],
        place.resources,
        error_rate=0.01,
        workday=(1, 3),
    )


@archetype(0.0)
def scanner(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """The security scanner: lists everything in every region once a day."""
    ident = ids.assumed_role(
        rng, place.account, "SecurityAuditScanner", f"prowler-{rng.randrange(10**9, 10**10)}"
    )
    ip = net.aws_ip(rng, "us-east-1")
    return Profile(
        ident,
        "scanner",
        "sweep",
        mixes.SCAN,
        (1.0,) * len(mixes.SCAN),
        1.0,
        (ip,),
        (net.boto3_agent(rng) + " APN_1826889",),
        place.all_regions,
        place.resources,
        error_rate=0.02,
    )


@archetype(0.0)
def root_user(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """Root, rarely: a console session with MFA on one or two days of the period."""
    active = frozenset(rng.sample(range(place.days), min(place.days, rng.randrange(1, 3))))
    apis, weights = mix(
        {
            "GetAccountSummary": 3,
            "ListUsers": 2,
            "GetAccountPasswordPolicy": 1,
            "ListMFADevices": 2,
            "DescribeOrganization": 1,
        },
        rng,
    )
    return Profile(
        ids.root(rng, place.account),
        "root_user",
        "session",
        apis,
        weights,
        rng.uniform(3, 8),
        (net.ip_in(rng, net.ISP_PREFIXES),),
        (),
        ("us-east-1",),
        place.resources,
        active_days=active,
        browser=rng.choice(net.BROWSERS),
        workday=(10, 16),
    )
