"""People reaching an account in ways it has not seen from them: from the management account, as
a contractor on a new laptop, from CloudShell."""

from __future__ import annotations

import dataclasses
from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.benign_ops.kit import (
    CLOUDSHELL_CLI,
    POWERSHELL,
    VSCODE_TOOLKIT,
    WINDOWS_CLI,
    at_local,
    aws_ip,
    caller_from,
    cli_call,
    cross_account_assume,
    home_account,
    on_a_workday,
    poll,
    s3_call,
    sign_in,
    with_write_access,
    workdays,
)
from trailguard.pipeline.synth.identities import assumed_role, sso_user
from trailguard.pipeline.synth.people import new_person
from trailguard.pipeline.synth.scenario import Ctx, technique

# Business lines of coworking spaces (Zayo, Cogent, Level3 in Germany, Airtel in India).
_COWORKING = ("64.125", "38.142", "62.67", "182.73")


@technique(
    "tg.ops.support-switch-role",
    "A support engineer reaches in from the management account",
    calls=("AssumeRole", "GetConsoleOutput", "CreateCase"),
    victims=("human",),
    kind="hard_negative",
)
def support_switch_role(c: Ctx) -> None:
    """A ticket says the service is down. An engineer of the organisation, signed in to the
    management account, takes OrganizationAccountAccessRole here with a CLI profile named after
    them: the AssumeRole is recorded in this account as the other account's (``AWSAccount``),
    then an hour of reading (the instance, its status checks and console output, alarms, a
    Logs Insights query, AWS Health), one reboot, and a case opened with AWS Support."""
    email = c.ident.session_name or c.ident.name
    role = assumed_role(c.rng, c.account, "OrganizationAccountAccessRole", email, person=True)
    caller = caller_from(c, home_account(c), email)
    cross_account_assume(c, caller, role)
    c.victim = dataclasses.replace(c.victim, ident=role)
    instance = c.res.instances[0]
    one = {"instancesSet": {"items": [{"instanceId": instance}]}}
    c.call("GetCallerIdentity", gap=(1, 4))
    c.call("DescribeInstances", req=one, gap=(5, 30))
    c.call("DescribeInstanceStatus", req=one, gap=(5, 30))
    c.call("GetConsoleOutput", req={"instanceId": instance, "latest": True}, gap=(10, 60))
    c.call("DescribeAlarms", req={"stateValue": "ALARM"}, gap=(10, 60))
    c.call("DescribeAlarmHistory", req={"historyItemType": "StateUpdate"}, gap=(5, 30))
    for _ in range(c.rng.randint(3, 6)):
        c.call("GetMetricData", gap=(5, 40))
    for _ in range(c.rng.randint(4, 8)):  # what surrounds the instance
        c.call(c.rng.choice(_AROUND), gap=(5, 60))
    _logs_insights(c)
    for name in ("DescribeEvents", "DescribeAffectedEntities"):
        c.call(name, source="health", region="us-east-1", gap=(10, 60))
    c.call("DescribeInstanceInformation", gap=(10, 60))
    c.call("RebootInstances", req=one, gap=(60, 300))
    poll(c, "DescribeInstanceStatus", c.rng.randint(3, 6), (15, 45), req=one)
    c.call("DescribeSeverityLevels", region="us-east-1", gap=(60, 300))
    case = {
        "subject": f"Instance {instance} unreachable after status check failure",
        "serviceCode": "amazon-elastic-compute-cloud-linux",
        "severityCode": "high",
        "categoryCode": "instance-issue",
        "issueType": "technical",
        "language": "en",
    }
    c.call("CreateCase", region="us-east-1", req=case, resp={"caseId": _case_id(c)})
    c.call("DescribeCases", region="us-east-1", gap=(30, 120))


_AROUND = (
    "DescribeSecurityGroups",
    "DescribeVolumes",
    "DescribeTargetHealth",
    "DescribeServices",
    "FilterLogEvents",
)


def _logs_insights(c: Ctx) -> None:
    """One Logs Insights query over the service's log group, polled until it completes."""
    group = c.res.log_groups[0]
    c.call("DescribeLogGroups", req={"logGroupNamePrefix": group.rsplit("-", 1)[0]}, gap=(5, 30))
    query = "fields @timestamp, @message | filter @message like /ERROR/ | sort @timestamp desc"
    query_id = c.fac.uuid()
    req = {"logGroupNames": [group], "queryString": query, "limit": 1000}
    c.call("StartQuery", req=req, resp={"queryId": query_id}, gap=(10, 60))
    waiting = {"queryId": query_id}
    poll(c, "GetQueryResults", c.rng.randint(2, 5), (1, 4), source="logs", req=waiting)


def _case_id(c: Ctx) -> str:
    return f"case-{c.account}-muen-2026-{c.rng.getrandbits(64):016x}"


@technique(
    "tg.ops.contractor-onboarding",
    "A contractor's first days on a new laptop, from a coworking space",
    calls=("ConsoleLogin", "DescribeServices", "GetRole"),
    victims=("human",),
    kind="hard_negative",
)
def contractor_onboarding(c: Ctx) -> None:
    """A contractor hired to move a service to containers gets an Identity Center user with the
    PowerUserAccess permission set. Three working days from a coworking space's business line,
    on a Windows laptop: a current aws-cli v2 (its agent names each command), the AWS Tools for
    PowerShell and the VS Code toolkit; the service's stacks, cluster, images, logs and
    parameters read, an image pulled; AccessDenied where PowerUser stops (IAM roles) and on
    the database secret nobody has granted yet."""
    person = new_person(c.rng, 960 + c.day, c.place.days)
    email = f"ext.{person.email.split('@')[0]}@acme-corp.com"
    ident = sso_user(c.rng, c.account, "PowerUserAccess", email)
    tz = c.rng.choice((1.0, 2.0, 5.5))
    c.victim = dataclasses.replace(c.victim, ident=ident, tz_hours=tz, browser=person.browser)
    c.ip = net.ip_in(c.rng, _COWORKING)
    build, client, first = c.rng.randrange(0, 12), c.fac.uuid(), c.day_start
    for n, day in enumerate(workdays(c, 3)):
        c.t, c.ua = at_local(c, first, day, c.rng.uniform(9, 11)), person.browser
        sign_in(c)
        reads = _CONSOLE_READS if n == 0 else c.rng.choices(_CONSOLE_READS, k=c.rng.randint(3, 8))
        for name in reads:  # the first morning: the service, stack to logs, in order
            c.call(name, console=True, gap=(20, 240))
        for _ in range(c.rng.randint(16, 28)):
            _contractor_call(c, build, client)
        if n == 0:  # the database secret, tried and tried again before asking for it
            secret = {"secretId": c.res.secrets[0]}
            arn = f"arn:aws:secretsmanager:{c.region}:{c.account}:secret:{c.res.secrets[0]}"
            for _ in range(2):
                error = c.deny("GetSecretValue", arn)
                cli_call(c, WINDOWS_CLI, build, "GetSecretValue", req=secret, error=error)
    c.ua = WINDOWS_CLI.format(n=build, cmd="iam.get-role")
    for name in ("GetRole", "ListAttachedRolePolicies"):
        role = {"roleName": c.rng.choice(c.res.roles)}
        c.call(name, req=role, error=c.deny(name, f"role {role['roleName']}"), gap=(20, 120))


_CONSOLE_READS = (
    "DescribeStacks",
    "ListClusters",
    "DescribeServices",
    "DescribeTaskDefinition",
    "DescribeRepositories",
    "DescribeLogGroups",
)
# What the contractor's tools ask, and which tool asks it.
_CLI_READS = (
    "DescribeStacks",
    "GetTemplate",
    "ListClusters",
    "DescribeClusters",
    "DescribeServices",
    "DescribeTaskDefinition",
    "ListTasks",
    "GetParametersByPath",
    "FilterLogEvents",
)
_PULL = ("GetAuthorizationToken", "BatchGetImage", "GetDownloadUrlForLayer")
_TOOLKIT = {"DescribeLogGroups": "cloudwatch-logs", "FilterLogEvents": "cloudwatch-logs"}


def _contractor_call(c: Ctx, build: int, client: str) -> None:
    """One thing done with one of the three tools (an image pull is three calls)."""
    tool = c.rng.random()
    if tool < 0.15:
        name = c.rng.choice(tuple(_TOOLKIT))
        c.ua = VSCODE_TOOLKIT.format(svc=_TOOLKIT[name], client=client)
        c.call(name, gap=(10, 300))
    elif tool < 0.3:
        c.ua = POWERSHELL
        c.call(c.rng.choice(("DescribeStacks", "DescribeServices", "GetParametersByPath")))
    elif tool < 0.4:
        for name in _PULL:
            cli_call(c, WINDOWS_CLI, build, name, gap=(0.5, 3))
    else:
        cli_call(c, WINDOWS_CLI, build, c.rng.choice(_CLI_READS), gap=(10, 300))


@technique(
    "tg.ops.cloudshell-session",
    "An engineer works in AWS CloudShell",
    calls=("CreateEnvironment", "PutCredentials", "ListObjectsV2", "GetFunction20150331v2"),
    victims=("human",),
    kind="hard_negative",
)
def cloudshell_session(c: Ctx) -> None:
    """An engineer opens CloudShell from the console for the first time: the environment is
    created and started and the console hands it their credentials; their aws-cli calls then
    come from an AWS address of the shell's region with CloudShell's own agent
    (exec-env/CloudShell on Amazon Linux 2023), forty minutes of S3, Lambda and logs work, a
    file downloaded, heartbeats while the tab stays open."""
    with_write_access(c)
    office, browser = c.ip, c.victim.browser or net.BROWSERS[0]
    c.ua = browser
    on_a_workday(c)
    sign_in(c)
    shell = {"environmentId": c.fac.uuid()}
    for name, req in (
        ("DescribeEnvironments", None),
        ("CreateEnvironment", None),
        ("GetEnvironmentStatus", shell),
        ("GetEnvironmentStatus", shell),
        ("StartEnvironment", shell),
        ("GetEnvironmentStatus", shell),
        ("CreateSession", shell),
        ("PutCredentials", shell),
    ):
        c.call(name, console=True, req=req, gap=(1, 6))
    shell_ip, build, started = aws_ip(c, c.region), c.rng.randrange(0, 12), c.t
    for k in range(c.rng.randint(25, 45)):
        c.ip = shell_ip
        _shell_command(c, build, k)
        if c.t - started > 300:  # the open tab's heartbeat, from the browser
            c.ip, c.ua, started = office, browser, c.t
            c.call("SendHeartBeat", console=True, req=shell, gap=(0.5, 3))
    c.ip, c.ua = office, browser
    c.call("GetFileDownloadUrls", console=True, req={**shell, "fileDownloadPath": "out.json"})


def _shell_command(c: Ctx, build: int, k: int) -> None:
    """The ``k``-th command typed in the shell: who am I, the buckets, one bucket, the
    functions, one function, then whatever the work needs."""
    bucket = c.rng.choice(c.res.buckets)
    group = {"logGroupName": c.rng.choice(c.res.log_groups)}
    commands: tuple[tuple[str, dict[str, Any]], ...] = (
        ("GetCallerIdentity", {}),
        ("ListBuckets", {}),
        ("ListObjectsV2", s3_call(bucket, "exports/", c.region)),
        ("ListFunctions20150331", {}),
        ("GetFunction20150331v2", {"req": {"functionName": c.rng.choice(c.res.functions)}}),
        ("GetObject", s3_call(bucket, f"exports/{c.rng.randrange(100)}.json", c.region)),
        ("DescribeLogStreams", {"req": group}),
        ("FilterLogEvents", {"req": group}),
    )
    name, kw = commands[k if k < 5 else c.rng.randrange(2, len(commands))]
    cli_call(c, CLOUDSHELL_CLI, build, name, gap=(5, 90), **kw)
