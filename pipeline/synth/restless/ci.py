"""Restless CI: deploy jobs on ephemeral runners, matrix builds, release days, nightly runs.

Hosted runners are fresh virtual machines: GitHub's (in Azure) and GitLab.com's (in Google
Cloud) get a new address for almost every job; self-hosted ones here are autoscaled EC2
instances. The runner image is rebuilt every week, so the SDK and Terraform versions in the
user agent move forward week by week. A workflow with a matrix starts several jobs at once, one
per target region; release days run many workflows; a scheduled job runs every night.
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.org import Org, rng_for
from trailguard.pipeline.synth.profiles import (
    Profile,
    emit,
    local_time,
    poisson,
    web_identity_login,
)
from trailguard.pipeline.synth.records import RecordFactory
from trailguard.pipeline.synth.restless import tools


@dataclass(frozen=True)
class CiDays:
    """One deploy role's pipelines: where its runners live, its regions, its rhythm."""

    base: Profile
    runners: str  # "azure", "gcp" or "aws" (self-hosted, autoscaled)
    regions: tuple[str, ...]  # a matrix deploys to each of these
    matrix: float  # share of workflows that are matrix builds
    image_day: int  # weekday offset of the weekly runner-image update
    release: tuple[float, ...]  # per day: workflows relative to an ordinary day
    nightly: float  # UTC hour of the scheduled job, or -1 when it has none

    def __call__(
        self, day: int, day_start: float, weekday: int, fac: RecordFactory, scale: float
    ) -> list[Timed]:
        """The role's jobs of ``day``."""
        rng, base = fac.rng, self.base
        agents = tuple(tools.runner_image(a, (day + self.image_day) // 7) for a in base.agents)
        out: list[Timed] = []
        factor = base.day_factor(day, weekday) * scale * self.release[day]
        start_h, end_h = base.workday or (0, 24)
        for _ in range(poisson(rng, 3.0 * factor)):
            t0 = local_time(day_start, base.tz_hours, rng.uniform(start_h, end_h))
            targets = self.regions if rng.random() < self.matrix else self.regions[:1]
            size = len(targets) ** -0.5  # n jobs of a matrix make sqrt(n) single jobs' calls
            for region in targets:  # matrix jobs start within a minute of each other
                out += self._job(fac, t0 + rng.uniform(0, 60), region, rng.choice(agents), size)
        if self.nightly >= 0 and rng.random() < scale:  # cron fires late when runners are busy
            t0 = day_start + self.nightly * 3600 + rng.uniform(60, 1500)
            out += self._job(fac, t0, self.regions[0], agents[0], 0.0)
        return out

    def _job(
        self, fac: RecordFactory, t0: float, region: str, agent: str, size: float
    ) -> list[Timed]:
        """One job on a fresh runner: credentials, then its deploy of ``size`` times the usual
        number of calls (0: the nightly job, a drift plan that only reads)."""
        rng, base = fac.rng, self.base
        ident = base.ident
        if ident.session_name.startswith("botocore-session-"):  # boto3's default: the clock
            ident = tools.with_session(ident, f"botocore-session-{int(t0)}")
        job = dataclasses.replace(
            base,
            ident=ident,
            ips=(runner(rng, self.runners, region),),
            agents=(agent,),
            regions=(region,),
        )
        n = max(5, round(base.rate * rng.uniform(0.4, 1.2) * (size or 1.0)))
        names = job.pick_apis(rng, n - 1)
        if not size:
            names = [name for name in names if api(name).read_only][: max(4, n // 3)]
        names = ["GetCallerIdentity", *names]
        times = sorted(t0 + rng.random() * rng.uniform(180, 720) for _ in names)
        out = [emit(job, fac, name, t) for t, name in zip(times, names, strict=True)]
        if base.token_issuer is not None:
            out.append(web_identity_login(job, base.token_issuer, fac, t0 - rng.uniform(1, 5)))
        return out


def runner(rng: random.Random, runners: str, region: str) -> str:
    """A fresh runner's address, where one job calls from (``runners``: ``_runners``' kind)."""
    if runners == "azure":
        return net.ip_in(rng, tools.AZURE_PREFIXES)
    if runners == "gcp":
        return net.ip_in(rng, tools.GCP_PREFIXES)
    return net.aws_ip(rng, region)


def scenario_profile(org: Org, account: int, index: int, base: Profile, region: str) -> Profile:
    """The role as a scenario sees it: a quiet attack or a benign novelty on this role runs as
    one more job, on a runner address of the kind its jobs use (one per role, drawn apart from
    its jobs'), not from the steady profile's three fixed runners, which the restless role never
    calls from."""
    rng = rng_for(org.seed, "habits", "ci-scenario", account, index)
    return dataclasses.replace(base, ips=(runner(rng, _runners(base), region),))


def _runners(base: Profile) -> str:
    """Where the role's jobs run: a job that signs in with GitHub's OIDC token is a GitHub
    Actions job (hosted runners in Azure), whatever the role is called; otherwise the role's
    name says which CI it belongs to (GitLab.com's runners are in Google Cloud; the rest are
    self-hosted on EC2)."""
    if base.token_issuer is not None:
        return "azure"
    return {"github": "azure", "gitlab": "gcp"}.get(base.ident.name.split("-")[0], "aws")


def ci_days(org: Org, account: int, index: int, base: Profile, regions: tuple[str, ...]) -> CiDays:
    """A CI role's restless pipelines (``regions``: the account's, home regions first)."""
    rng = rng_for(org.seed, "habits", "ci", account, index)
    runners = _runners(base)
    release = tuple(
        rng.uniform(3.0, 5.0) if rng.random() < 0.12 else rng.uniform(0.3, 1.3)
        for _ in range(org.days)
    )
    return CiDays(
        base,
        runners,
        tuple(regions[: rng.choice((2, 3, 4))]),
        rng.uniform(0.2, 0.6),
        rng.randrange(7),
        release,
        rng.uniform(0, 6) if rng.random() < 0.5 else -1.0,
    )
