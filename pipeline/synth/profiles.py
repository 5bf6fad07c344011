"""Stable behaviour profiles and the daily rhythm that turns a profile into calls.

A profile fixes a principal's API mix, rate, addresses, agents, regions, error rate, working
hours in its own time zone, weekly rhythm, days off and a slow drift: what an anomaly model
should learn as normal. ``shape`` says how calls are spread over a day (see ``SHAPES``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import accumulate

from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.identities import Identity
from trailguard.pipeline.synth.params import Resources, build, pick
from trailguard.pipeline.synth.records import Error, RecordFactory, denied

DAY = 86400


@dataclass
class Profile:
    """One principal's normal behaviour (``rate``: calls per hour at its peak, or per burst)."""

    ident: Identity
    archetype: str
    shape: str
    apis: tuple[str, ...]
    weights: tuple[float, ...]
    rate: float
    ips: tuple[str, ...]
    agents: tuple[str, ...]
    regions: tuple[str, ...]
    resources: Resources
    error_rate: float = 0.0
    tz_hours: float = 0.0
    workday: tuple[int, int] | None = None
    weekend: float = 1.0
    days_off: frozenset[int] = frozenset()
    active_days: frozenset[int] | None = None
    drift: float = 0.0
    console: float = 0.0
    browser: str = ""
    fixed_error: Error | None = None
    token_issuer: Identity | None = None
    _cum: list[float] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self._cum = list(accumulate(self.weights))

    def pick_apis(self, rng: random.Random, n: int) -> list[str]:
        """``n`` event names drawn from the profile's API mix."""
        return rng.choices(self.apis, cum_weights=self._cum, k=n)

    def day_factor(self, day: int, weekday: int) -> float:
        """How busy the principal is on ``day`` (weekends, days off, drift)."""
        if day in self.days_off or (self.active_days is not None and day not in self.active_days):
            return 0.0
        factor = self.weekend if weekday >= 5 else 1.0
        return max(0.0, factor * (1.0 + self.drift * day))

    def hour_weight(self, utc_hour: int) -> float:
        """Share of the peak rate in a UTC hour, from the local working day."""
        local = (utc_hour + self.tz_hours) % 24
        if self.workday is None:
            return 0.65 + 0.35 * math.sin((local - 8) / 24 * 2 * math.pi)
        start, end = self.workday
        if start <= local < end:
            return 0.6 if int(local) == start + 4 else 1.0
        return 0.01


def local_time(day_start: float, tz_hours: float, local_hour: float) -> float:
    """The epoch of ``local_hour`` o'clock in time zone ``tz_hours`` on the UTC day starting at
    ``day_start`` (epoch seconds of its midnight)."""
    return day_start + ((local_hour - tz_hours) % 24) * 3600


def sign_in_before(p: Profile, fac: RecordFactory, calls: list[Timed], latest: int) -> list[Timed]:
    """The console sign-in before the first of ``calls`` made with console credentials (between
    20 s and ``latest`` s before it); nothing when none was."""
    signed = [t for t, rec in calls if rec.get("sessionCredentialFromConsole")]
    if not signed:
        return []
    t = min(signed) - fac.rng.randrange(20, latest)
    return [(t, fac.console_login(p.ident, t, p.ips[0], p.browser, mfa=p.ident.mfa))]


def poisson(rng: random.Random, lam: float) -> int:
    """A Poisson draw (normal approximation for large means)."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, prod = math.exp(-lam), 0, rng.random()
    while prod > limit:
        k += 1
        prod *= rng.random()
    return k


def emit(
    p: Profile,
    fac: RecordFactory,
    name: str,
    t: float,
    *,
    console: bool = False,
    region: str | None = None,
) -> Timed:
    """One call of the profile: its own address, agent, region, parameters and error rate."""
    rng = fac.rng
    if region is None:
        region = p.regions[0] if len(p.regions) == 1 else pick(rng, p.regions)
    req, resp, resources = build(name, rng, p.resources, region)
    error = p.fixed_error
    if error is None and p.error_rate and rng.random() < p.error_rate:
        error = denied(p.ident, name)
    ua = p.browser if console else (p.agents[0] if len(p.agents) == 1 else pick(rng, p.agents))
    ip = p.ips[0] if len(p.ips) == 1 else pick(rng, p.ips)
    return t, fac.call(
        p.ident,
        name,
        t,
        region,
        ip,
        ua,
        req=req,
        resp=resp,
        error=error,
        resources=resources,
        console=console,
    )


def _hourly(p: Profile, day_start: float, factor: float, fac: RecordFactory) -> list[Timed]:
    rng = fac.rng
    out: list[Timed] = []
    base_hour = int(day_start // 3600) % 24
    for h in range(24):
        n = poisson(rng, p.rate * factor * p.hour_weight(base_hour + h))
        if not n:
            continue
        start = day_start + h * 3600
        times = sorted(start + rng.random() * 3600 for _ in range(n))
        for t, name in zip(times, p.pick_apis(rng, n), strict=True):
            console = p.console > 0 and rng.random() < p.console
            out.append(emit(p, fac, name, t, console=console))
    if p.console:
        out += sign_in_before(p, fac, out, 600)
    return out


def _bursts(p: Profile, day_start: float, factor: float, fac: RecordFactory) -> list[Timed]:
    rng = fac.rng
    out: list[Timed] = []
    start_h, end_h = p.workday or (0, 24)
    for _ in range(poisson(rng, 3.0 * factor)):
        local_h = rng.uniform(start_h, end_h)
        t0 = local_time(day_start, p.tz_hours, local_h)
        n = max(5, round(p.rate * rng.uniform(0.6, 1.4)))
        times = sorted(t0 + rng.random() * 480 for _ in range(n))
        names = ["GetCallerIdentity", *p.pick_apis(rng, n - 1)]
        if p.token_issuer is not None:
            out.append(web_identity_login(p, p.token_issuer, fac, times[0] - rng.uniform(1, 5)))
        out.extend(emit(p, fac, name, t) for t, name in zip(times, names, strict=True))
    return out


def web_identity_login(p: Profile, issuer: Identity, fac: RecordFactory, t: float) -> Timed:
    """The ``AssumeRoleWithWebIdentity`` that hands a CI job the deploy role's credentials."""
    role = p.ident.user_identity(t + 5)
    role_arn = role["sessionContext"]["sessionIssuer"]["arn"]
    req = {"roleArn": role_arn, "roleSessionName": p.ident.session_name, "durationSeconds": 3600}
    resp = {
        "credentials": {
            "accessKeyId": role["accessKeyId"],
            "sessionToken": "IQoJb3JpZ2luX2Vj",
            "expiration": "Oct 1, 2026, 12:00:00 PM",
        },
        "subjectFromWebIdentityToken": issuer.name,
        "assumedRoleUser": {"assumedRoleId": role["principalId"], "arn": role["arn"]},
        "provider": issuer.arn,
        "audience": "sts.amazonaws.com",
    }
    resources = [{"accountId": p.ident.account_id, "type": "AWS::IAM::Role", "ARN": role_arn}]
    rec = fac.call(
        issuer,
        "AssumeRoleWithWebIdentity",
        t,
        p.regions[0],
        p.ips[0],
        "configure-aws-credentials-for-github-actions",
        req=req,
        resp=resp,
        resources=resources,
    )
    return t, rec


def _sweep(p: Profile, day_start: float, factor: float, fac: RecordFactory) -> list[Timed]:
    rng = fac.rng
    t = local_time(day_start, p.tz_hours, 3) + rng.randrange(0, 1200)
    out: list[Timed] = []
    for i, region in enumerate(p.regions):
        for name in p.apis:
            if i and api(name).is_global:
                continue  # a scanner reads IAM once, not once per region
            t += rng.uniform(0.2, 1.5)
            out.append(emit(p, fac, name, t, region=region))
    return out


def _periodic(p: Profile, day_start: float, factor: float, fac: RecordFactory) -> list[Timed]:
    rng = fac.rng
    period = 3600 / (p.rate * factor)
    t = day_start + rng.random() * period
    out: list[Timed] = []
    while t < day_start + DAY:
        out.append(emit(p, fac, p.apis[0], t))
        t += period * rng.uniform(0.9, 1.1)
    return out


def _session(p: Profile, day_start: float, factor: float, fac: RecordFactory) -> list[Timed]:
    rng = fac.rng
    t = local_time(day_start, p.tz_hours, rng.uniform(*(p.workday or (9, 17))))
    out = [(t, fac.console_login(p.ident, t, p.ips[0], p.browser, mfa=p.ident.mfa))]
    for name in p.pick_apis(rng, max(2, round(p.rate))):
        t += rng.uniform(5, 90)
        out.append(emit(p, fac, name, t, console=True))
    return out


Shape = Callable[[Profile, float, float, RecordFactory], list[Timed]]
SHAPES: dict[str, Shape] = {
    "hourly": _hourly,
    "bursts": _bursts,
    "sweep": _sweep,
    "periodic": _periodic,
    "session": _session,
}


def day_calls(
    p: Profile, day: int, day_start: float, weekday: int, fac: RecordFactory, scale: float = 1.0
) -> list[Timed]:
    """All of the profile's calls on one day (``day_start``: UTC midnight, epoch seconds);
    ``scale`` multiplies the rates of hourly and bursty principals."""
    factor = p.day_factor(day, weekday) * scale
    if factor <= 0:
        return []
    return SHAPES[p.shape](p, day_start, factor, fac)
