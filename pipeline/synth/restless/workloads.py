"""Restless workloads: Lambda, ECS and EC2 roles that follow their users' day and week.

Traffic rises with the business day of the organisation's main time zone and falls at night and
at weekends; some days are busier (a campaign, a month-end batch); now and then a burst of calls
to one API meets its rate limit and is throttled while the SDK retries. ECS tasks and EC2
instances are replaced by deployments and autoscaling every few days, and their role sessions
are named after them (the task id; the instance id, ``assumed-role/ROLE/i-0abc...``). Lambda
calls come from whichever AWS address the execution environment of the moment has.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.identities import Identity
from trailguard.pipeline.synth.org import Org, rng_for
from trailguard.pipeline.synth.profiles import SHAPES, Profile, emit
from trailguard.pipeline.synth.records import Error, RecordFactory
from trailguard.pipeline.synth.restless import tools

# Local hour -> share of the peak: night trough, morning ramp, lunch dip, evening tail.
_BUSINESS_DAY = (0.22, 0.2, 0.18, 0.18, 0.2, 0.25, 0.35, 0.55, 0.8, 0.95, 1.0, 1.0,
                 0.85, 0.95, 1.0, 0.98, 0.9, 0.8, 0.65, 0.55, 0.48, 0.4, 0.32, 0.26)  # fmt: skip
# APIs whose account-level rate limits real workloads hit, and how each service says so.
_LIMITED = ("Decrypt", "GenerateDataKey", "GetParameter", "GetParameters", "GetSecretValue",
            "PutMetricData", "DescribeTags", "DescribeInstances", "Publish")  # fmt: skip
_THROTTLED = {
    "ec2.amazonaws.com": ("Client.RequestLimitExceeded", "Request limit exceeded."),
    "kms.amazonaws.com": (
        "ThrottlingException",
        "You have exceeded the rate at which you may call KMS. Reduce the frequency of your calls.",
    ),
    "monitoring.amazonaws.com": ("Throttling", "Rate exceeded"),
    "sns.amazonaws.com": ("Throttling", "Rate exceeded"),
}


@dataclass(kw_only=True)
class Diurnal(Profile):
    """A profile whose hourly rate follows a 24-entry curve indexed by UTC hour."""

    curve: tuple[float, ...] = ()

    def hour_weight(self, utc_hour: int) -> float:
        """Share of the peak rate in a UTC hour."""
        return self.curve[utc_hour % 24]


@dataclass(frozen=True)
class WorkloadDays:
    """One workload role over the period: its daily load, and the sessions and addresses its
    instances or tasks have each day."""

    base: Diurnal
    load: tuple[float, ...]
    throttled: tuple[bool, ...]
    sessions: tuple[Identity, ...]  # per day
    ips: tuple[tuple[str, ...], ...]  # per day

    def __call__(
        self, day: int, day_start: float, weekday: int, fac: RecordFactory, scale: float
    ) -> list[Timed]:
        """The workload's calls of ``day``."""
        p = dataclasses.replace(self.base, ident=self.sessions[day], ips=self.ips[day])
        factor = p.day_factor(day, weekday) * scale * self.load[day]
        if factor <= 0:
            return []
        out = SHAPES["hourly"](p, day_start, factor, fac)
        if self.throttled[day]:
            out += _throttle_burst(p, fac, day_start + fac.rng.uniform(0, 86400))
        return out


def _throttle_burst(p: Profile, fac: RecordFactory, t0: float) -> list[Timed]:
    """A spike of one rate-limited API: many calls in a minute or two, half of them throttled
    and retried with backoff."""
    rng = fac.rng
    limited = [name for name in p.apis if name in _LIMITED]
    if not limited:
        return []
    name = rng.choice(limited)
    error: Error = _THROTTLED.get(api(name).source, ("ThrottlingException", "Rate exceeded"))
    refused = dataclasses.replace(p, fixed_error=error)
    out: list[Timed] = []
    for _ in range(rng.randrange(20, 90)):
        t = t0 + rng.expovariate(1 / 40)
        out.append(emit(refused if rng.random() < 0.5 else p, fac, name, t))
    return out


def workload_days(org: Org, account: int, index: int, base: Profile) -> WorkloadDays:
    """A Lambda, ECS or EC2 role's restless days."""
    rng = rng_for(org.seed, "habits", "workload", account, index)
    main_tz = Counter(p.tz_hours for p in org.people).most_common(1)[0][0]
    # the same calls a day as the steady profile's curve (mean 0.65), spread by business hours
    mean = sum(_BUSINESS_DAY) / 24
    curve = tuple(_BUSINESS_DAY[int(h + main_tz) % 24] * 0.65 / mean for h in range(24))
    fields = {f.name: getattr(base, f.name) for f in dataclasses.fields(Profile) if f.init}
    fields["weekend"] = rng.uniform(0.35, 0.75)
    diurnal = Diurnal(**fields, curve=curve)
    load = tuple(
        rng.uniform(1.6, 2.4) if rng.random() < 0.06 else rng.uniform(0.8, 1.2)
        for _ in range(org.days)
    )
    throttled = tuple(rng.random() < 0.07 for _ in range(org.days))
    sessions, ips = _replacements(rng, base, org.days)
    return WorkloadDays(diurnal, load, throttled, sessions, ips)


def _replacements(
    rng: random.Random, base: Profile, days: int
) -> tuple[tuple[Identity, ...], tuple[tuple[str, ...], ...]]:
    """Each day's session and addresses: ECS tasks are redeployed and EC2 instances replaced
    every few days (new task id or instance id; an instance without a NAT gets a new public
    address); Lambda environments come and go all the time, each with its own address."""
    region = base.regions[0]
    ident, ips = base.ident, base.ips
    behind_nat = rng.random() < 0.5
    sessions, addresses = [], []
    replace_on = rng.randrange(1, 6)
    for d in range(days):
        if base.archetype in ("ecs_role", "ec2_role") and d == replace_on:
            replace_on += rng.randrange(1, 6)
            if base.archetype == "ecs_role":
                ident = tools.with_session(ident, f"{rng.getrandbits(128):032x}")
            else:
                ident = tools.with_session(ident, "i-0%016x" % rng.getrandbits(64))
                ips = ips if behind_nat else (net.aws_ip(rng, region),)
        if base.archetype == "lambda_role":
            ips = tuple(net.aws_ip(rng, region) for _ in range(rng.randrange(3, 9)))
        sessions.append(ident)
        addresses.append(ips)
    return tuple(sessions), tuple(addresses)
