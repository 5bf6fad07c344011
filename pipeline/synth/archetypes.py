"""The benign population: one builder per principal archetype, each a stable ``Profile``.

Builders register themselves with ``@archetype(share)``; ``share`` is the archetype's part of
an account's principals (0 for the ones every account has exactly one of).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from pipeline.synth import identities as ids
from pipeline.synth import mixes
from pipeline.synth import network as net
from pipeline.synth.params import Resources
from pipeline.synth.profiles import Profile
from pipeline.synth.records import denied


@dataclass(frozen=True)
class Person:
    """An engineer of the organisation (one per email), who may work in several accounts."""

    email: str
    permission_set: str
    tz_hours: float
    ips: tuple[str, ...]
    cli: str
    browser: str
    days_off: frozenset[int]
    console: float


@dataclass(frozen=True)
class Place:
    """What a builder needs about the account it builds for."""

    account: str
    resources: Resources
    regions: tuple[str, ...]
    all_regions: tuple[str, ...]
    days: int
    holidays: frozenset[int]


Weights = tuple[float, ...]
Builder = Callable[[random.Random, Place, Person | None], Profile]
ARCHETYPES: dict[str, tuple[Builder, float]] = {}


def archetype(share: float) -> Callable[[Builder], Builder]:
    """Register a builder under its function name with its share of principals."""

    def register(fn: Builder) -> Builder:
        ARCHETYPES[fn.__name__] = (fn, share)
        return fn

    return register


def _mix(table: Mapping[str, float], rng: random.Random) -> tuple[tuple[str, ...], Weights]:
    """A principal's own version of an archetype's mix: same APIs, personal proportions."""
    names = tuple(table)
    return names, tuple(w * rng.uniform(0.5, 1.5) for w in table.values())


def _vacation(rng: random.Random, days: int) -> frozenset[int]:
    if rng.random() < 0.6 or days < 10:
        return frozenset()
    start = rng.randrange(0, days - 3)
    return frozenset(range(start, start + rng.randrange(2, 6)))


def new_person(rng: random.Random, index: int, days: int) -> Person:
    """An engineer: a time zone, a home and an office address, an aws-cli build, a browser."""
    first = rng.choice(
        (
            "alex",
            "sam",
            "maria",
            "li",
            "priya",
            "tom",
            "nina",
            "omar",
            "eva",
            "ken",
            "julia",
            "raj",
            "anna",
            "marc",
            "sofia",
            "dan",
            "yuki",
            "ben",
        )
    )
    last = rng.choice(
        (
            "smith",
            "garcia",
            "chen",
            "patel",
            "muller",
            "rossi",
            "kim",
            "novak",
            "silva",
            "jones",
            "dubois",
            "berg",
            "khan",
            "tanaka",
            "walsh",
            "costa",
        )
    )
    office = net.ip_in(rng, net.ISP_PREFIXES)
    home = net.ip_in(rng, net.ISP_PREFIXES)
    return Person(
        email=f"{first}.{last}{index}@acme-corp.com",
        permission_set=rng.choice(("Developer", "Developer", "ReadOnly", "Admin")),
        tz_hours=rng.choice((-8, -5, 0, 1, 2, 5.5)),
        ips=(office, home) if rng.random() < 0.7 else (office,),
        cli=net.cli_agent(rng),
        browser=rng.choice(net.BROWSERS),
        days_off=_vacation(rng, days),
        console=rng.uniform(0.2, 0.8),
    )


@archetype(0.30)
def human(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """A person through Identity Center: console and CLI, working hours, weekdays."""
    assert person is not None
    ident = ids.sso_user(rng, place.account, person.permission_set, person.email)
    apis, weights = _mix(mixes.ADMIN if person.permission_set == "Admin" else mixes.DEV, rng)
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
    apis, weights = _mix(mixes.DEPLOY, rng)
    agents = (
        net.TERRAFORM.format(
            n=rng.randrange(0, 8), m=rng.randrange(0, 3), svc=rng.choice(("lambda", "ecs", "s3"))
        ),
        net.boto3_agent(rng),
    )
    runners = tuple(net.ip_in(rng, net.CI_PREFIXES) for _ in range(3))
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
    )


def _workload(
    rng: random.Random,
    place: Place,
    role: str,
    session: str,
    table: Mapping[str, float],
    agent: str,
    rate: tuple[float, float],
    kind: str,
) -> Profile:
    ident = ids.assumed_role(
        rng, place.account, role, session, path="/service-role/" if kind == "lambda_role" else "/"
    )
    region = rng.choice(place.regions[:2])
    apis, weights = _mix(table, rng)
    ips = tuple(net.aws_ip(rng, region) for _ in range(rng.randrange(1, 4)))
    return Profile(
        ident,
        kind,
        "hourly",
        apis,
        weights,
        rng.uniform(*rate),
        ips,
        (agent,),
        (region,),
        place.resources,
        error_rate=rng.choice((0.0, 0.001, 0.005)),
        drift=rng.uniform(-0.005, 0.02),
    )


@archetype(0.25)
def lambda_role(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """A Lambda execution role: steady, around the clock, from AWS addresses."""
    fn = rng.choice(place.resources.functions)
    agent = (
        net.boto3_agent(rng, "exec-env/AWS_Lambda_python3.12")
        if rng.random() < 0.5
        else net.NODE_SDK.format(svc="s3", env=" exec-env/AWS_Lambda_nodejs20.x")
    )
    return _workload(
        rng,
        place,
        f"{fn}-role-{rng.getrandbits(32):08x}",
        fn,
        mixes.LAMBDA,
        agent,
        (8, 40),
        "lambda_role",
    )


@archetype(0.12)
def ecs_role(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """An ECS task role: a task id as session name, a Java or Boto3 SDK."""
    svc = rng.choice(place.resources.stacks)
    agent = (
        net.JAVA_SDK.format(n=rng.randrange(1, 30))
        if rng.random() < 0.5
        else net.boto3_agent(rng, "exec-env/AWS_ECS_FARGATE")
    )
    return _workload(
        rng,
        place,
        f"{svc}-task-role",
        f"{rng.getrandbits(128):032x}",
        mixes.ECS,
        agent,
        (10, 35),
        "ecs_role",
    )


@archetype(0.06)
def ec2_role(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """An EC2 instance profile: the instance id as session name, SSM agent and CLI calls."""
    instance = rng.choice(place.resources.instances)
    role = f"{rng.choice(('app-server', 'bastion', 'batch'))}-role-{rng.randrange(10, 99)}"
    agent = net.boto3_agent(rng)
    return _workload(rng, place, role, instance, mixes.EC2, agent, (6, 20), "ec2_role")


@archetype(0.08)
def aws_service(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """An AWS service acting for the account (``AWSService``, source = the service's name)."""
    name = rng.choice(
        (
            "lambda.amazonaws.com",
            "ecs-tasks.amazonaws.com",
            "config.amazonaws.com",
            "cloudformation.amazonaws.com",
        )
    )
    apis, weights = _mix(mixes.SERVICE, rng)
    return Profile(
        ids.service(name, place.account),
        "aws_service",
        "hourly",
        apis,
        weights,
        rng.uniform(5, 25),
        (name,),
        (name,),
        place.regions[:2],
        place.resources,
    )


@archetype(0.05)
def legacy_user(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """An IAM user with a long-term key, running a nightly job from one datacenter address."""
    job = rng.choice(("backup", "reporting", "etl"))
    name = f"{job}-{rng.choice(('svc', 'bot', 'job'))}-{rng.randrange(1, 99)}"
    ident = ids.iam_user(rng, place.account, name)
    apis, weights = _mix(mixes.NIGHTLY, rng)
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
def misconfigured(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """A workload whose policy lacks one permission: the same AccessDenied every few minutes."""
    fn = rng.choice(place.resources.functions)
    ident = ids.assumed_role(rng, place.account, f"{fn}-legacy-role", fn, path="/service-role/")
    name = rng.choice(("GetParameter", "GetSecretValue", "DescribeTable"))
    region = place.regions[0]
    return Profile(
        ident,
        "misconfigured",
        "periodic",
        (name,),
        (1.0,),
        rng.uniform(10, 20),
        (net.aws_ip(rng, region),),
        (net.boto3_agent(rng),),
        (region,),
        place.resources,
        fixed_error=denied(ident, name),
    )


@archetype(0.0)
def root_user(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """Root, rarely: a console session with MFA on one or two days of the period."""
    active = frozenset(rng.sample(range(place.days), min(place.days, rng.randrange(1, 3))))
    apis, weights = _mix(
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
