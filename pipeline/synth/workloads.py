"""Machine principals of the benign population: workloads, AWS services, a broken job."""

from __future__ import annotations

import random
from collections.abc import Mapping

from trailguard.pipeline.synth import identities as ids
from trailguard.pipeline.synth import mixes
from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.archetypes import Place, archetype, mix
from trailguard.pipeline.synth.people import Person
from trailguard.pipeline.synth.profiles import Profile
from trailguard.pipeline.synth.records import denied


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
    apis, weights = mix(table, rng)
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
    apis, weights = mix(mixes.SERVICE, rng)
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
def partner_account(rng: random.Random, place: Place, person: Person | None) -> Profile:
    """Another company's account reading a bucket shared with it, each morning (``AWSAccount``:
    CloudTrail shows only the caller's account, not who in it)."""
    ident = ids.partner(rng, str(rng.randrange(10**11, 10**12)), place.account)
    apis, weights = mix({"ListObjectsV2": 2, "GetObject": 8, "HeadObject": 2}, rng)
    region = place.regions[0]
    return Profile(
        ident,
        "partner_account",
        "hourly",
        apis,
        weights,
        rng.uniform(6, 20),
        (net.aws_ip(rng, region),),
        (net.JAVA_SDK.format(n=rng.randrange(1, 30)),),
        (region,),
        place.resources,
        tz_hours=rng.choice((-5, 1, 9)),
        workday=(6, 9),
        weekend=0.0,
    )
