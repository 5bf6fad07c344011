"""What the operations scenarios share: the clock in a person's own hours, console sign-in,
calls a service makes on a caller's behalf, the agents of real tools, the management account."""

from __future__ import annotations

import dataclasses
import re
import time
from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.identities import Identity, aws_id, sso_user
from trailguard.pipeline.synth.profiles import local_time
from trailguard.pipeline.synth.records import Record
from trailguard.pipeline.synth.scenario import Ctx

# aws-cli v2 names the command in its agent (`md/command#s3.cp`); these builds are newer than the
# organisation's laptops have, on another OS, or CloudShell's own (Amazon Linux 2023).
WINDOWS_CLI = (
    "aws-cli/2.22.{n} md/awscrt#0.22.0 ua/2.0 os/windows#10 md/arch#amd64 lang/python#3.12.6 "
    "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off md/command#{cmd}"
)
CLOUDSHELL_CLI = (
    "aws-cli/2.22.{n} md/awscrt#0.22.0 ua/2.0 os/linux#6.1.112-122.189.amzn2023.x86_64 "
    "md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/CloudShell "
    "cfg/retry-mode#standard md/installer#exe md/distrib#amzn.2023 md/prompt#off "
    "md/command#{cmd}"
)
POWERSHELL = (
    "AWSPowerShell.Common/4.1.680.0 .NET_Runtime/8.0 .NET_Framework/8.0.10 "
    "OS/Microsoft_Windows_NT_10.0.22631.0 PowerShellCore/7.4 ClientSync"
)
VSCODE_TOOLKIT = (
    "aws-sdk-js/3.637.0 ua/2.1 os/win32#10.0.22631 lang/js md/nodejs#20.18.0 api/{svc}#3.637.0 "
    "AWS-Toolkit-For-VSCode/3.31.0 Visual-Studio-Code/1.95.1 ClientId/{client}"
)
# The CLI's service names, where they are not the endpoint's first label.
_CLI_SERVICE = {
    "monitoring.amazonaws.com": "cloudwatch",
    "elasticloadbalancing.amazonaws.com": "elbv2",
}
# `aws s3 ls` / `aws s3 cp` make these calls; the agent names the high-level command.
_S3_COMMAND = {
    "ListBuckets": "s3.ls",
    "ListObjectsV2": "s3.ls",
    "HeadObject": "s3.cp",
    "GetObject": "s3.cp",
    "PutObject": "s3.cp",
}
_WORDS = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def cli_command(name: str, source: str | None = None) -> str:
    """The aws-cli command that makes ``name`` (``athena.start-query-execution``)."""
    entry = api(name, source)
    if entry.source == "s3.amazonaws.com" and name in _S3_COMMAND:
        return _S3_COMMAND[name]
    service = _CLI_SERVICE.get(entry.source, entry.source.split(".")[0])
    return f"{service}.{_WORDS.sub('-', entry.base_name).lower()}"


def cli_call(c: Ctx, template: str, build: int, name: str, **kw: Any) -> Record:
    """One aws-cli call whose agent names its command, as aws-cli v2 does."""
    c.ua = template.format(n=build, cmd=cli_command(name, kw.get("source")))
    return c.call(name, **kw)


def on_behalf(c: Ctx, service: str, name: str, **kw: Any) -> Record:
    """A call a service makes with the caller's credentials (Athena reading Glue and S3, Secrets
    Manager calling KMS): CloudTrail shows the service as address, agent and ``invokedBy``."""
    ip, ua = c.ip, c.ua
    c.ip = c.ua = service
    try:
        rec = c.call(name, **kw)
    finally:
        c.ip, c.ua = ip, ua
    rec["userIdentity"] = {**rec["userIdentity"], "invokedBy": service}
    return rec


def poll(c: Ctx, name: str, times: int, gap: tuple[float, float], **kw: Any) -> None:
    """A console page or a script waiting on a job: the same read, every few seconds."""
    for _ in range(times):
        c.call(name, gap=gap, **kw)


def with_write_access(c: Ctx) -> None:
    """People hold several Identity Center permission sets and choose one when they sign in;
    work that changes things is done with one that may. A person whose usual set here is
    ReadOnly takes the Admin set for it: the same person (session), addresses and tools."""
    role = c.ident.name
    if not role.startswith("AWSReservedSSO_ReadOnly_"):
        return
    admin = sso_user(c.rng, c.account, "Admin", c.ident.session_name)
    c.victim = dataclasses.replace(c.victim, ident=admin)


def sign_in(c: Ctx) -> None:
    """The victim's console sign-in from the scenario's address and browser (Identity Center
    sign-ins show no MFA, as the real ones do)."""
    c.t += c.rng.uniform(5, 60)
    c.events.append((c.t, c.fac.console_login(c.ident, c.t, c.ip, c.ua, mfa=c.ident.mfa)))


def at_local(c: Ctx, first: float, day: int, hour: float) -> float:
    """Epoch of ``hour`` o'clock in the victim's time zone, ``day`` days after ``first`` (the
    scenario's first UTC midnight: read ``c.day_start`` before the clock moves, it follows it)."""
    return local_time(first + day * 86400, c.victim.tz_hours, hour)


def workdays(c: Ctx, count: int) -> list[int]:
    """The scenario's first ``count`` weekdays (offsets from its first day) within the period."""
    left = max(1, c.place.days - c.day)
    days = [k for k in range(left) if (c.weekday + k) % 7 < 5][:count]
    return days or [0]


def on_a_workday(c: Ctx, hours: tuple[float, float] = (9.5, 16)) -> float:
    """Move the clock to working hours of the scenario's first weekday; that day's midnight."""
    first = c.day_start
    c.t = at_local(c, first, workdays(c, 1)[0], c.rng.uniform(*hours))
    return first


def later(c: Ctx, days: int) -> int:
    """``days`` on, or the period's last day when that is sooner (offset from the first day)."""
    return max(0, min(days, c.place.days - c.day - 1))


def home_account(c: Ctx) -> str:
    """The management account the platform team and its automation reach in from: the
    organisation's first other account, or (an organisation of one) one whose trail is
    delivered elsewhere."""
    others = [a for a in c.place.org_accounts if a != c.account]
    if others:
        return others[0]
    return str(10**11 + int(c.account) * 7919 % (9 * 10**11))


def caller_from(c: Ctx, account: str, session: str) -> Identity:
    """A role session of another account as the account it calls records it (``AWSAccount``)."""
    principal = f"{aws_id(c.rng, 'AROA', 17)}:{session}"
    return Identity(
        "aws_account", account, "AWSAccount", principal_id=principal, recipient=c.account
    )


def cross_account_assume(
    c: Ctx, caller: Identity, target: Identity, *, duration: int = 3600, source: str = ""
) -> Record:
    """``AssumeRole`` into ``target`` by another account's session: recorded here too, with the
    caller as ``AWSAccount`` and the event id both accounts share."""
    role_arn = (target.issuer or {})["arn"]
    ui = target.user_identity(c.t + 60)
    rec = c.call(
        "AssumeRole",
        who=caller,
        gap=(1, 5),
        req={
            "roleArn": role_arn,
            "roleSessionName": target.session_name,
            "durationSeconds": duration,
            **({"sourceIdentity": source} if source else {}),
        },
        resp={
            "credentials": {
                "accessKeyId": ui["accessKeyId"],
                "sessionToken": "IQoJb3JpZ2luX2VjEOr//////////wEaCXVzLWVhc3QtMSJHMEUCIQ",
                "expiration": expiry(c.t + duration),
            },
            "assumedRoleUser": {"assumedRoleId": target.principal_id, "arn": target.arn},
        },
        resources=[{"accountId": c.account, "type": "AWS::IAM::Role", "ARN": role_arn}],
    )
    rec["sharedEventID"] = c.fac.uuid()
    return rec


def expiry(epoch: float) -> str:
    """A time as STS writes credentials' expiration: ``Oct 9, 2026, 3:14:07 PM``."""
    g = time.gmtime(epoch)
    hour, half = (g.tm_hour % 12) or 12, "AM" if g.tm_hour < 12 else "PM"
    month = time.strftime("%b", g)
    return f"{month} {g.tm_mday}, {g.tm_year}, {hour}:{g.tm_min:02d}:{g.tm_sec:02d} {half}"


def today(c: Ctx) -> str:
    """The scenario clock's date, ``YYYY-MM-DD``."""
    return time.strftime("%Y-%m-%d", time.gmtime(c.t))


def hex_id(c: Ctx, prefix: str, digits: int = 17) -> str:
    """An AWS resource id (``vol-0…``, ``snap-0…``)."""
    return f"{prefix}-0{c.rng.getrandbits(4 * (digits - 1)):0{digits - 1}x}"


def s3_call(bucket: str, key: str, region: str) -> dict[str, Any]:
    """``req`` and ``resources`` of an S3 object call, or of a listing when ``key`` ends in /."""
    host = f"{bucket}.s3.{region}.amazonaws.com"
    in_bucket = {"type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}
    if key.endswith("/"):
        req = {"bucketName": bucket, "Host": host, "list-type": "2", "prefix": key}
        return {"req": req, "resources": [in_bucket]}
    req = {"bucketName": bucket, "Host": host, "key": key}
    item = {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"}
    return {"req": req, "resources": [item, in_bucket]}


def aws_ip(c: Ctx, region: str) -> str:
    """An address of AWS's own space in ``region`` (CloudShell, CodeBuild)."""
    return net.aws_ip(c.rng, region)
