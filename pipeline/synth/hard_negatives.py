"""Hard negatives: unusual but benign activity, labelled so a noisy detector shows up as noisy.

Each looks like something an anomaly model has not seen before (a new principal, a new region,
a burst of IAM reads, root), yet nobody should be paged for it.
"""

from __future__ import annotations

import dataclasses

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.archetypes import ci_role, human
from trailguard.pipeline.synth.identities import root
from trailguard.pipeline.synth.people import new_person
from trailguard.pipeline.synth.profiles import Profile, day_calls
from trailguard.pipeline.synth.scenario import Ctx, technique

_NEW_REGIONS = ("ap-southeast-1", "ca-central-1")


def run_days(c: Ctx, profile_days: int, profile: Profile, after: float = 0.0) -> None:
    """Replay a new principal's ordinary profile over its first days (within the period),
    keeping only calls after ``after``."""
    for k in range(min(profile_days, c.place.days - c.day)):
        start = c.day_start + k * 86400
        calls = day_calls(profile, c.day + k, start, (c.weekday + k) % 7, c.fac)
        c.events.extend(item for item in calls if item[0] > after)


@technique(
    "tg.benign.new-engineer-first-week",
    "A new engineer's first week",
    calls=("ConsoleLogin",),
    victims=("human",),
    kind="hard_negative",
)
def new_engineer(c: Ctx) -> None:
    """A new Identity Center user: console and CLI, new APIs daily, a few AccessDenied."""
    person = dataclasses.replace(
        new_person(c.rng, 900 + c.day, c.place.days),
        permission_set="Developer",
        console=0.8,
        days_off=frozenset(),
    )
    profile = human(c.rng, c.place, person)
    profile = dataclasses.replace(
        profile,
        error_rate=0.08,
        weekend=0.0,
        days_off=frozenset(),
        active_days=None,
        rate=max(profile.rate, 15.0),
    )
    run_days(c, 7, profile)
    if not any(rec["eventName"] == "ConsoleLogin" for _, rec in c.events):
        t = c.day_start + 9 * 3600
        c.events.insert(
            0, (t, c.fac.console_login(profile.ident, t, person.ips[0], person.browser, mfa=False))
        )


_BOOTSTRAP = (
    "GetCallerIdentity",
    "CreateRole",
    "PutRolePolicy",
    "AttachRolePolicy",
    "CreateBucket",
    "PutBucketEncryption",
    "PutBucketTagging",
    "CreateFunction20150331",
    "CreateChangeSet",
    "DescribeChangeSet",
    "ExecuteChangeSet",
    "DescribeStackEvents",
)


@technique(
    "tg.benign.new-ci-pipeline",
    "A new CI pipeline deploying a new service",
    calls=("CreateRole", "CreateFunction20150331", "ExecuteChangeSet"),
    victims=("ci_role",),
    kind="hard_negative",
)
def new_ci_pipeline(c: Ctx) -> None:
    """A new deploy role creates its service's resources, then deploys daily."""
    profile = ci_role(c.rng, c.place, None)
    c.victim, c.ip, c.ua = profile, profile.ips[0], profile.agents[0]
    for name in _BOOTSTRAP:
        c.call(name, gap=(1, 15), region=profile.regions[0])
    profile = dataclasses.replace(profile, weekend=0.0, days_off=frozenset(), active_days=None)
    run_days(c, 5, profile, after=c.t)  # its first deploys follow its bootstrap


@technique(
    "tg.benign.region-expansion",
    "Expansion into a new region",
    calls=("CreateVpc", "CreateSubnet", "RunInstances"),
    victims=("ci_role",),
    kind="hard_negative",
)
def region_expansion(c: Ctx) -> None:
    """The deploy role builds a network and a first fleet in a region nobody used before."""
    c.region = c.rng.choice(_NEW_REGIONS)
    c.call("DescribeAvailabilityZones")
    c.call("CreateVpc", req={"cidrBlock": "10.42.0.0/16"})
    for _ in range(3):
        c.call("CreateSubnet", req={"cidrBlock": f"10.42.{c.rng.randrange(0, 255)}.0/24"})
    c.call("CreateSecurityGroup", req={"groupName": "app", "groupDescription": "app tier"})
    c.call(
        "AuthorizeSecurityGroupIngress",
        req={
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 443,
                        "toPort": 443,
                        "ipRanges": {"items": [{"cidrIp": "10.42.0.0/16"}]},
                    }
                ]
            }
        },
    )
    for _ in range(c.rng.randint(2, 4)):
        c.call(
            "RunInstances",
            req={
                "instanceType": "m6i.large",
                "instancesSet": {
                    "items": [
                        {
                            "imageId": "ami-0%016x" % c.rng.getrandbits(64),
                            "minCount": 2,
                            "maxCount": 2,
                        }
                    ]
                },
            },
        )
    for name in ("CreateBucket", "CreateFunction20150331", "DescribeInstances"):
        c.call(name, gap=(30, 300))


@technique(
    "tg.benign.quarterly-access-review",
    "A quarterly access review",
    calls=("GenerateCredentialReport", "GetAccountAuthorizationDetails", "GetAccessKeyLastUsed"),
    victims=("human",),
    kind="hard_negative",
)
def access_review(c: Ctx) -> None:
    """An auditor reads every user, key, role and policy of the account in one sitting."""
    auditor = human(
        c.rng,
        c.place,
        dataclasses.replace(
            new_person(c.rng, 800 + c.day, c.place.days), permission_set="SecurityAudit"
        ),
    )
    c.victim, c.ip, c.ua = auditor, auditor.ips[0], auditor.agents[0]
    for name in (
        "GetCallerIdentity",
        "GenerateCredentialReport",
        "GetCredentialReport",
        "GetAccountAuthorizationDetails",
        "ListUsers",
        "ListRoles",
        "ListPolicies",
    ):
        c.call(name, gap=(2, 20))
    for user in c.res.users:
        for name in (
            "ListAccessKeys",
            "GetAccessKeyLastUsed",
            "ListMFADevices",
            "ListAttachedUserPolicies",
            "ListGroupsForUser",
            "GetLoginProfile",
        ):
            c.call(name, req={"userName": user}, gap=(1, 6))
    for role in c.res.roles:
        for name in ("GetRole", "ListAttachedRolePolicies", "ListRolePolicies"):
            c.call(
                name,
                req={"roleName": role},
                gap=(1, 6),
                error=c.deny(name) if c.rng.random() < 0.05 else None,
            )


@technique(
    "tg.benign.break-glass-root",
    "A break-glass root login with MFA",
    calls=("ConsoleLogin",),
    victims=("human",),
    kind="hard_negative",
)
def break_glass_root(c: Ctx) -> None:
    """An administrator signs in as root with MFA from the office to fix a locked-out role."""
    admin_ip, browser = c.victim.ips[0], c.victim.browser or net.BROWSERS[0]
    c.victim = dataclasses.replace(c.victim, ident=root(c.rng, c.account))
    c.ip, c.ua = admin_ip, browser
    c.t += c.rng.uniform(1, 60)
    c.events.append((c.t, c.fac.console_login(c.ident, c.t, admin_ip, browser, mfa=True)))
    c.call("GetAccountSummary", console=True, gap=(10, 60))
    c.call("ListRoles", console=True, gap=(10, 60), req={"maxItems": 100})
    role = {"roleName": c.res.roles[0]}
    for name in ("GetRole", "ListAttachedRolePolicies", "AttachRolePolicy", "GetRole"):
        c.call(name, console=True, gap=(10, 90), req=role)
