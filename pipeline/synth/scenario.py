"""Labelled scenarios (attacks and hard negatives): the registry and the context they run in.

A technique is one small function decorated with ``@technique(...)`` in any module of
``pipeline.synth.attacks`` or ``pipeline.synth.benign_ops``, or in
``pipeline.synth.hard_negatives`` or ``pipeline.synth.benign_life``; ``load()`` imports those
modules, so adding a technique never means editing a central list.
"""

from __future__ import annotations

import importlib
import pkgutil
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.archetypes import Place
from trailguard.pipeline.synth.delivery import Timed
from trailguard.pipeline.synth.identities import Identity
from trailguard.pipeline.synth.params import Resources
from trailguard.pipeline.synth.profiles import Profile
from trailguard.pipeline.synth.records import Error, Record, RecordFactory, denied

PEOPLE_AND_PIPELINES = ("human", "legacy_user", "ci_role")
WORKLOADS = ("ec2_role", "lambda_role", "ecs_role")
CREDENTIAL_HOLDERS = (*PEOPLE_AND_PIPELINES, *WORKLOADS)
# Reads a careful attacker blends in with: ordinary, never denied.
_QUIET_READS = (
    "ListBuckets",
    "DescribeInstances",
    "ListFunctions20150331",
    "DescribeVpcs",
    "ListRoles",
    "DescribeSecurityGroups",
)
OUTSIDE_AWS = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
KALI = "PenTest:IAMUser/KaliLinux"
DISCOVERY = "Discovery:IAMUser/AnomalousBehavior"


@dataclass
class Ctx:
    """Where a scenario runs: the victim, the clock, the address and agent it calls from."""

    fac: RecordFactory
    victim: Profile
    t: float
    loud: bool
    ip: str
    ua: str
    region: str
    outside_account: str
    place: Place
    day: int
    weekday: int
    events: list[Timed] = field(default_factory=list)
    findings: set[str] = field(default_factory=set)

    @property
    def rng(self) -> random.Random:
        """The scenario's random stream."""
        return self.fac.rng

    @property
    def ident(self) -> Identity:
        """The principal whose credentials the scenario uses."""
        return self.victim.ident

    @property
    def res(self) -> Resources:
        """The victim account's resources."""
        return self.victim.resources

    @property
    def day_start(self) -> float:
        """UTC midnight of the scenario's first day."""
        return self.t - self.t % 86400

    @property
    def account(self) -> str:
        """The victim's account id."""
        return self.ident.account_id

    def call(
        self,
        name: str,
        *,
        who: Identity | None = None,
        gap: tuple[float, float] = (2, 40),
        region: str | None = None,
        error: Error | None = None,
        **kw: Any,
    ) -> Record:
        """Advance the clock and record one call (``kw``: req, resp, resources, source, ...)."""
        self.t += self.rng.uniform(*gap)
        rec = self.fac.call(
            who or self.ident,
            name,
            self.t,
            region or self.region,
            self.ip,
            self.ua,
            error=error,
            **kw,
        )
        self.events.append((self.t, rec))
        return rec

    def deny(self, name: str, resource: str = "*", who: Identity | None = None) -> Error:
        """The AccessDenied ``name`` gets for the calling principal."""
        return denied(who or self.ident, name, resource)

    def recon(self) -> None:
        """Discovery before acting: a few ordinary reads when quiet, a noisy sweep when loud."""
        self.call("GetCallerIdentity", gap=(1, 5))
        if not self.loud:
            for name in self.rng.sample(_QUIET_READS, self.rng.randint(2, 4)):
                self.call(name, gap=(5, 60))
            return
        self.findings.add(DISCOVERY)
        regions = self.rng.sample(self.place.all_regions, 3)
        for name in ("ListUsers", "ListRoles", "GetAccountAuthorizationDetails", "ListBuckets"):
            self.call(
                name, gap=(0.5, 4), error=self.deny(name) if self.rng.random() < 0.5 else None
            )
        for region in regions:
            for name in ("DescribeInstances", "ListSecrets", "ListFunctions20150331"):
                fail = self.rng.random() < 0.4
                self.call(
                    name, gap=(0.3, 3), region=region, error=self.deny(name) if fail else None
                )


Body = Callable[[Ctx], None]


@dataclass(frozen=True)
class Technique:
    """A registered scenario: what it is, whom it needs, what it must emit and raise."""

    id: str
    name: str
    kind: str
    calls: tuple[str, ...]
    victims: tuple[str, ...]
    findings: tuple[str, ...]
    body: Body


REGISTRY: dict[str, Technique] = {}
_PACKAGES = (
    "trailguard.pipeline.synth.attacks",
    "trailguard.pipeline.synth.hard_negatives",
    "trailguard.pipeline.synth.benign_life",  # a second population of benign novelties
    "trailguard.pipeline.synth.benign_ops",  # a third: operations work (one module per kind)
)


def technique(
    tid: str,
    name: str,
    *,
    calls: tuple[str, ...],
    findings: tuple[str, ...] = (),
    victims: tuple[str, ...] = PEOPLE_AND_PIPELINES,
    kind: str = "attack",
) -> Callable[[Body], Body]:
    """Register a scenario body under ``tid`` (a Stratus Red Team id where one exists)."""

    def register(body: Body) -> Body:
        REGISTRY[tid] = Technique(tid, name, kind, calls, victims, findings, body)
        return body

    return register


def load() -> dict[str, Technique]:
    """Import every scenario module so each registers itself; return the registry."""
    for package in _PACKAGES:
        module = importlib.import_module(package)
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            importlib.import_module(f"{package}.{info.name}")
    return REGISTRY


def start_ctx(
    fac: RecordFactory,
    victim: Profile,
    t: float,
    loud: bool,
    outside_account: str,
    place: Place,
    day: int,
    weekday: int,
    *,
    benign: bool = False,
) -> Ctx:
    """The context of a scenario: loud ones call from attacker space with a tool's agent,
    quiet ones from the victim's own address and agent (workload credentials still leave AWS)."""
    rng = fac.rng
    ip = net.ip_in(rng, net.HOSTILE_PREFIXES) if loud else victim.ips[0]
    ua = net.hostile_agent(rng) if loud else (victim.agents or (victim.browser,))[0]
    ctx = Ctx(fac, victim, t, loud, ip, ua, victim.regions[0], outside_account, place, day, weekday)
    if benign:
        ctx.ip, ctx.ua = victim.ips[0], (victim.agents or (victim.browser,))[0]
        return ctx
    if victim.archetype in WORKLOADS:
        ctx.ip = net.ip_in(rng, net.HOSTILE_PREFIXES)
        ctx.findings.add(OUTSIDE_AWS)
    if "kali" in ua:
        ctx.findings.add(KALI)
    return ctx
