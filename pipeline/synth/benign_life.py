"""Benign novelties of ordinary organisational life: a second, independent population of hard
negatives.

Written from how organisations behave, not from how any detector scores: people are paged at
night, travel and switch VPNs, move teams; tools are upgraded and change their user agents;
pipelines run matrix builds across regions; infrastructure code repairs drift; new security
scanners are onboarded; incident responders do unusual, sensitive and legitimate things. Each is
labelled a hard negative (`tg.life.*`), so an evaluation counts the ones flagged Medium or more.
"""

from __future__ import annotations

import dataclasses

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.archetypes import scanner
from trailguard.pipeline.synth.hard_negatives import run_days
from trailguard.pipeline.synth.profiles import Profile
from trailguard.pipeline.synth.scenario import Ctx, technique

_MOBILE = ("92.40", "2.96")  # a phone's tethering, a hotel's line
_ABROAD = ("81.2", "86.21", "31.120")  # ISPs in other countries
_COMMERCIAL_VPN = ("146.70",)  # a commercial VPN's exit (M247)
_TERRAFORM_NEXT = "APN/1.0 HashiCorp/1.0 Terraform/1.9.2 (+https://www.terraform.io) aws-sdk-go-v2"


@technique(
    "tg.life.on-call-night",
    "An on-call engineer paged at night",
    calls=("FilterLogEvents", "UpdateService"),
    victims=("human",),
    kind="hard_negative",
)
def on_call_night(c: Ctx) -> None:
    """Paged at 3 a.m.: signs in from a phone's tethering, reads logs and alarms in bursts,
    restarts a service and an instance, and goes back to bed."""
    c.t = c.day_start + c.rng.uniform(1, 4) * 3600
    c.ip = net.ip_in(c.rng, _MOBILE)
    for name in ("GetCallerIdentity", "DescribeAlarms", "GetMetricData", "DescribeServices"):
        c.call(name, gap=(5, 40))
    for _ in range(c.rng.randint(20, 45)):
        c.call(
            c.rng.choice(("FilterLogEvents", "DescribeLogStreams", "GetMetricData")), gap=(2, 20)
        )
    c.call("DescribeInstances", gap=(10, 60))
    c.call("StopInstances", gap=(10, 60))
    c.call("StartInstances", gap=(30, 120))
    c.call("UpdateService", gap=(10, 60))
    for _ in range(c.rng.randint(5, 12)):
        c.call(c.rng.choice(("DescribeServices", "FilterLogEvents")), gap=(20, 90))


@technique(
    "tg.life.travel-vpn",
    "An engineer travelling, on a commercial VPN then a foreign ISP",
    calls=("DescribeInstances",),
    victims=("human",),
    kind="hard_negative",
)
def travel_vpn(c: Ctx) -> None:
    """Three days abroad: the usual work from a VPN exit on day one, a hotel line after."""
    working = _working(c)
    first = dataclasses.replace(working, ips=(net.ip_in(c.rng, _COMMERCIAL_VPN),))
    run_days(c, 1, first)
    later = dataclasses.replace(working, ips=(net.ip_in(c.rng, _ABROAD),))
    c.day, c.t = c.day + 1, c.t + 86400
    run_days(c, 2, later)
    _at_least_one(c)


@technique(
    "tg.life.tool-upgrade",
    "A pipeline's tooling upgraded (new user agent)",
    calls=("DescribeStacks",),
    victims=("ci_role",),
    kind="hard_negative",
)
def tool_upgrade(c: Ctx) -> None:
    """The runners' image is rebuilt: every call now carries a new Terraform/SDK agent."""
    upgraded = dataclasses.replace(_working(c), agents=(_TERRAFORM_NEXT,))
    c.ua = _TERRAFORM_NEXT
    run_days(c, 4, upgraded)
    _at_least_one(c)


@technique(
    "tg.life.team-move",
    "An engineer moves to the platform team",
    calls=("CreateChangeSet", "RegisterTaskDefinition"),
    victims=("human",),
    kind="hard_negative",
)
def team_move(c: Ctx) -> None:
    """New team, new work: stacks, task definitions, images and the roles they need, a few
    calls a day over three days, with the odd AccessDenied while permissions catch up."""
    work = (
        "DescribeStacks", "GetTemplate", "CreateChangeSet", "DescribeChangeSet",
        "ExecuteChangeSet", "RegisterTaskDefinition", "DescribeTaskDefinition", "UpdateService",
        "DescribeRepositories", "GetRole", "ListAttachedRolePolicies", "TagRole",
    )  # fmt: skip
    for day in range(3):
        c.t = c.day_start + day * 86400 + (9 + c.rng.uniform(0, 7)) * 3600
        for _ in range(c.rng.randint(10, 30)):
            name = c.rng.choice(work)
            c.call(name, gap=(20, 400), error=c.deny(name) if c.rng.random() < 0.06 else None)


@technique(
    "tg.life.matrix-build",
    "A CI matrix build across regions",
    calls=("PutImage", "UpdateFunctionCode20150331v2"),
    victims=("ci_role",),
    kind="hard_negative",
)
def matrix_build(c: Ctx) -> None:
    """Sixteen parallel jobs push images and functions to four regions within half an hour."""
    regions = c.place.all_regions[:4]
    for job in range(16):
        region = regions[job % len(regions)]
        c.t = c.day_start + 14 * 3600 + c.rng.uniform(0, 1800)
        for name in (
            "GetCallerIdentity", "GetAuthorizationToken", "BatchCheckLayerAvailability",
            "InitiateLayerUpload", "PutImage", "PutObject", "UpdateFunctionCode20150331v2",
            "PublishVersion20150331",
        ):  # fmt: skip
            c.call(name, gap=(0.5, 6), region=region)


@technique(
    "tg.life.iac-drift-repair",
    "Infrastructure code repairs drift",
    calls=("PutBucketPolicy", "UpdateAssumeRolePolicy"),
    victims=("ci_role",),
    kind="hard_negative",
)
def drift_repair(c: Ctx) -> None:
    """A terraform apply after a manual change: bucket policy and encryption, a role's trust and
    inline policy, flow logs and an internal ingress rule put back as the code says."""
    for name in ("GetBucketPolicy", "GetRole", "DescribeSecurityGroups", "DescribeFlowLogs"):
        c.call(name, gap=(1, 10))
    bucket = c.res.buckets[0] if c.res.buckets else "app-data"
    c.call("PutBucketPolicy", req={"bucketName": bucket}, gap=(2, 20))
    c.call("PutBucketEncryption", req={"bucketName": bucket}, gap=(2, 20))
    role = {"roleName": c.res.roles[0]} if c.res.roles else {}
    c.call("UpdateAssumeRolePolicy", req=role, gap=(2, 20))
    c.call("PutRolePolicy", req=role, gap=(2, 20))
    c.call("CreateFlowLogs", gap=(2, 20))
    c.call(
        "AuthorizeSecurityGroupIngress",
        req={
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 5432,
                        "toPort": 5432,
                        "ipRanges": {"items": [{"cidrIp": "10.0.0.0/8"}]},
                    }
                ]
            }
        },
        gap=(2, 20),
    )


@technique(
    "tg.life.incident-response",
    "An incident responder at work",
    calls=("LookupEvents", "CreateSnapshot", "UpdateAccessKey"),
    victims=("human",),
    kind="hard_negative",
)
def incident_response(c: Ctx) -> None:
    """A responder searches the trail, snapshots a suspect instance, isolates it in a new
    security group, deactivates a key and reads users' keys: unusual, sensitive, legitimate."""
    for _ in range(c.rng.randint(25, 50)):
        c.call("LookupEvents", gap=(2, 15))
    for name in ("DescribeInstances", "DescribeVolumes", "CreateSnapshot", "CreateSecurityGroup"):
        c.call(name, gap=(10, 60))
    c.call("ModifyInstanceAttribute", gap=(10, 60))
    for user in c.res.users[:6]:
        c.call("ListAccessKeys", req={"userName": user}, gap=(2, 10))
        c.call("GetAccessKeyLastUsed", req={"userName": user}, gap=(2, 10))
    c.call("UpdateAccessKey", gap=(5, 30))
    for name in ("GetAccountAuthorizationDetails", "DescribeTrails", "GetEventSelectors"):
        c.call(name, gap=(5, 30), error=c.deny(name) if c.rng.random() < 0.3 else None)


@technique(
    "tg.life.new-security-scanner",
    "A new security scanner onboarded",
    calls=("DescribeInstances", "GetBucketPolicy"),
    victims=("ci_role",),
    kind="hard_negative",
)
def new_scanner(c: Ctx) -> None:
    """A third-party posture scanner's role starts its daily sweep: every region, every service
    it knows, a few AccessDenied where its policy lags behind its checks."""
    profile = dataclasses.replace(
        scanner(c.rng, c.place, None),
        ips=(net.ip_in(c.rng, net.CI_PREFIXES),),
        error_rate=0.05,
    )
    c.victim, c.ip, c.ua = profile, profile.ips[0], profile.agents[0]
    run_days(c, 3, profile)
    _at_least_one(c)


def _working(c: Ctx) -> Profile:
    """The victim's profile working every day of the scenario (no weekend, no day off)."""
    return dataclasses.replace(c.victim, weekend=1.0, days_off=frozenset(), active_days=None)


def _at_least_one(c: Ctx) -> None:
    """A scenario always leaves an event (its label names the principal of the first one)."""
    if not c.events:
        c.call("GetCallerIdentity", gap=(60, 3600))
