"""Suppression rules and trusted networks: a small TOML file that auto-archives known noise.

`<lake>/suppression.toml` (or a path given to the CLI):

    trusted_networks = ["203.0.113.0/24"]   # never "outside AWS"; findings only from here archive

    [[suppress]]
    name = "nightly audit scanner"           # shown in the archived finding's evidence
    principal = "arn:aws:iam::*:role/SecurityAuditScanner"   # glob on the principal key
    family = "role:SecurityAuditScanner"     # or the family, exactly (pipeline/findings/family.py)
    type = "Discovery:*"                     # glob on the finding type
    network = "52.94.0.0/16"                 # every source address of the finding lies in it
    user_agent = "*prowler*"                 # glob on every user agent of the finding
    owner = "secops@example.com"             # who answers for it
    reason = "Prowler runs nightly from the audit account"
    expires = 2027-06-30                     # from this day on the rule matches nothing

A suppression rule matches when every field it sets matches and it has not expired; a matching
finding is still stored (an audit trail of what was suppressed) but with status `archived`, as
GuardDuty does. `trailguard archive ID --suppress` appends a rule made from the finding
(pipeline/findings/similar.py): its `finding` and `created` keys say where it came from.
"""

from __future__ import annotations

import ipaddress
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from trailguard.pipeline.findings.family import family_of
from trailguard.pipeline.findings.store import Finding

DEFAULT_FILE = "suppression.toml"
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Suppression:
    """One suppression rule; None fields match anything."""

    name: str
    principal: str | None = None
    family: str | None = None  # exact family key (pipeline/findings/family.py)
    type: str | None = None
    network: Network | None = None
    user_agent: str | None = None
    owner: str | None = None
    reason: str | None = None
    expires: date | None = None  # matches nothing from this day (UTC) on
    finding: str | None = None  # the finding `trailguard archive --suppress` made it from
    created: datetime | None = None

    @property
    def archive_reason(self) -> str:
        """What a finding it archives says of why (its `status_reason`)."""
        return f"suppression rule: {self.name}"

    def expired(self, today: date) -> bool:
        """True from its expiry day on."""
        return self.expires is not None and today >= self.expires

    def matches(self, finding: Finding) -> bool:
        """True when every field this rule sets matches the finding (expiry aside)."""
        if self.principal and not fnmatchcase(finding.principal, self.principal):
            return False
        if self.family and family_of(finding.principal) != self.family:
            return False
        if self.type and not fnmatchcase(finding.type, self.type):
            return False
        if self.network and not _all_in(source_ips(finding), (self.network,)):
            return False
        agents = finding.evidence.user_agents
        return not self.user_agent or (
            bool(agents) and all(fnmatchcase(a, self.user_agent) for a in agents)
        )


@dataclass(frozen=True)
class SuppressionConfig:
    """The suppression file: rules and trusted networks."""

    rules: tuple[Suppression, ...] = ()
    trusted_networks: tuple[Network, ...] = field(default_factory=tuple)

    def reason(self, finding: Finding, today: date | None = None) -> str | None:
        """Why a finding is archived (a rule's name, or trusted networks), or None. Rules
        expired by `today` (UTC today by default) match nothing."""
        today = today or datetime.now(UTC).date()
        for rule in self.rules:
            if not rule.expired(today) and rule.matches(finding):
                return rule.archive_reason
        if self.trusted_networks and _all_in(source_ips(finding), self.trusted_networks):
            return "all sources in trusted networks"
        return None


def load_suppression(path: Path | None, *, must_exist: bool = False) -> SuppressionConfig:
    """Read a suppression file; an absent file means no suppression, unless it `must_exist`
    (a file someone named: a typo there would silently suppress nothing)."""
    if path is None or not path.is_file():
        if must_exist and path is not None:
            raise ValueError(f"suppression file {path} does not exist (or is not a file)")
        return SuppressionConfig()
    try:
        return to_config(tomllib.loads(path.read_text(encoding="utf-8")))
    except ValueError as exc:  # tomllib.TOMLDecodeError is one too
        raise ValueError(f"suppression file {path}: {exc}") from exc


def to_config(data: dict[str, Any]) -> SuppressionConfig:
    """Validate parsed TOML into a config (raises ValueError on unknown keys or bad networks)."""
    rules = []
    for index, entry in enumerate(data.get("suppress") or []):
        unknown = set(entry) - _KEYS
        if unknown:
            raise ValueError(f"suppress[{index}]: unknown keys {sorted(unknown)}")
        network = ipaddress.ip_network(entry["network"]) if entry.get("network") else None
        rules.append(
            Suppression(
                name=str(entry.get("name") or f"rule {index + 1}"),
                principal=entry.get("principal"),
                family=entry.get("family"),
                type=entry.get("type"),
                network=network,
                user_agent=entry.get("user_agent"),
                owner=entry.get("owner"),
                reason=entry.get("reason"),
                expires=_day(entry.get("expires"), f"suppress[{index}].expires"),
                finding=entry.get("finding"),
                created=entry.get("created"),
            )
        )
    trusted = tuple(ipaddress.ip_network(n) for n in data.get("trusted_networks") or [])
    return SuppressionConfig(tuple(rules), trusted)


_MATCHED = ("name", "principal", "family", "type", "network", "user_agent")  # what a rule matches
_ANSWERED = ("owner", "reason", "expires", "finding", "created")  # who answers, until when
_KEYS = frozenset((*_MATCHED, *_ANSWERED))


def _day(value: object, where: str) -> date | None:
    """A TOML date (`2027-06-30`) or the same as a string; a datetime's day."""
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    if isinstance(value, datetime):
        return value.date()
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"{where}: {value!r} is not a date (YYYY-MM-DD)") from None


def source_ips(finding: Finding) -> list[str]:
    """The source addresses a finding's evidence names."""
    return list(finding.evidence.source_ips)


def _all_in(ips: list[str], networks: tuple[Network, ...]) -> bool:
    addresses = []
    for ip in ips:
        try:
            addresses.append(ipaddress.ip_address(ip))
        except ValueError:
            return False  # a service name is not in any network
    return bool(addresses) and all(any(a in n for n in networks) for a in addresses)
