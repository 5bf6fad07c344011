"""What an exact rule sees: an `Event` (one lake row, JSON fields parsed) and a `RuleContext`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

import orjson

# EC2 instance-profile sessions are named after the instance.
INSTANCE_SESSION = re.compile(r"^i-[0-9a-f]{8,17}$")


@dataclass(frozen=True)
class RuleContext:
    """Lake-wide facts a single event cannot carry.

    `workloads`: principal keys and role ARNs whose credentials belong to EC2 instances, Lambda
    functions or ECS tasks (seen assumed by those services, or used with their agents from AWS).
    `trusted_networks`: operator-listed networks (suppression file); a trusted source is never
    "outside AWS".
    `org_accounts`: the organisation's own accounts, those the trail records events in; a grant
    to any other account is a grant outside the organisation.
    `trail_buckets`: the S3 buckets trails were seen writing to (CreateTrail, UpdateTrail).
    `admin_roles`: role names seen given AdministratorAccess in the lake.
    """

    workloads: frozenset[str] = frozenset()
    trusted_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    org_accounts: frozenset[str] = frozenset()
    trail_buckets: frozenset[str] = frozenset()
    admin_roles: frozenset[str] = frozenset()

    def outside_org(self, account: str, own: str | None) -> bool:
        """True when `account` is neither the event's own account nor one of the organisation's
        (with no organisation known, every account but the own one is outside)."""
        return account != own and account not in self.org_accounts

    def trusted(self, ip: str | None) -> bool:
        """True when `ip` lies in a trusted network."""
        if not ip or not self.trusted_networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address in network for network in self.trusted_networks)


@dataclass(frozen=True)
class Event:
    """One CloudTrail event as a lake row, with the JSON columns parsed on demand."""

    row: Mapping[str, Any]
    inside_aws: bool | None = None  # from ip_info; None when the source is not an address

    def get(self, column: str) -> Any:
        """A column of the row (None when absent)."""
        return self.row.get(column)

    @property
    def name(self) -> str:
        """eventName without a Lambda API-version suffix."""
        return str(self.row.get("event_name_base") or self.row.get("event_name") or "")

    @property
    def succeeded(self) -> bool:
        """True when the call carried no error (sign-in events report failure in the response)."""
        if self.row.get("error_code") or self.row.get("error_message"):
            return False
        return self.response.get(self.name) != "Failure"

    @property
    def identity_type(self) -> str:
        """userIdentity.type."""
        return str(self.row.get("identity_type") or "")

    @cached_property
    def request(self) -> dict[str, Any]:
        """requestParameters as a dict ({} when absent or null)."""
        return _json_object(self.row.get("request_parameters"))

    @cached_property
    def additional(self) -> dict[str, Any]:
        """additionalEventData as a dict."""
        return _json_object(self.row.get("additional_event_data"))

    @cached_property
    def response(self) -> dict[str, Any]:
        """responseElements as a dict."""
        return _json_object(self.row.get("response_elements"))

    @cached_property
    def identity(self) -> dict[str, Any]:
        """userIdentity as delivered."""
        return _json_object(self.row.get("user_identity"))

    @property
    def caller_user_name(self) -> str | None:
        """The IAM user name of the caller (None unless an IAM user called)."""
        if self.identity_type != "IAMUser":
            return None
        name = self.row.get("identity_user_name")
        return str(name) if name else None

    @property
    def principal(self) -> str:
        """Who acted, as the lake keys them (the ARN when no key is known)."""
        return str(self.row.get("principal_key") or self.row.get("identity_arn") or "unknown")

    @property
    def account_id(self) -> str | None:
        """The account the event was recorded in."""
        value = self.row.get("account_id") or self.row.get("recipient_account_id")
        return str(value) if value else self.row.get("identity_account_id")


Describe = Callable[[Event], str]
# What one finding of a rule covers (Rule.episode; pipeline/detect/rule_findings.py groups by it).
EPISODES = ("day", "actor")
Keys = Callable[[Event, RuleContext], list[str]]


@dataclass(frozen=True)
class Threshold:
    """A rule that counts: it matches when one principal's events carry at least `count` distinct
    keys (secret ids, instance ids, object keys...) within `window`. An event carries at most
    `per_event` keys if its name is in `batched` (a batch API names several; empty = every name),
    one otherwise: that bounds the events a window needs. `by_request`: the keys are read from
    the event's name and request alone, so identical requests carry identical keys and the SQL
    prefilter may count distinct requests. `requires`: a key the window must also hold, which
    does not count toward `count`; only the keys of events from its first event's time on
    count (the listing of a store, then the reads that walk it)."""

    window: timedelta
    count: int
    per_event: int = 1
    keys: Keys = field(default=lambda event, context: [], repr=False)
    by_request: bool = True
    batched: tuple[str, ...] = ()
    requires: str | None = None


@dataclass(frozen=True)
class Rule:
    """A registered exact rule: metadata, a prefilter for the lake query, and its predicate.

    `attack` names the ATT&CK (sub-)techniques the rule detects, `stratus` the Stratus Red Team
    techniques it covers; both are carried into each finding's evidence. `describe` writes the
    finding's one-line description from its first event. `threshold` makes it a counting rule.
    `episode` is what one finding covers: `day` (a principal's matches on one UTC day) or `actor`
    (a principal's matches from one place, its network and agent family, on every day: a use
    that recurs from where it always comes from updates one finding, GuardDuty's aggregation).
    """

    rule_id: str
    finding_type: str
    severity: float
    title: str
    description: str
    event_names: frozenset[str]
    identity_types: frozenset[str]
    outside_aws: bool
    agents: tuple[str, ...]  # lower-case substrings of the user agent, any of which must occur
    workloads_only: bool  # only instance sessions and RuleContext.workloads principals
    predicate: Callable[[Event, RuleContext], bool] = field(repr=False)
    attack: tuple[str, ...] = ()
    stratus: tuple[str, ...] = ()
    describe: Describe | None = field(default=None, repr=False)
    threshold: Threshold | None = None
    episode: str = "day"  # or "actor": EPISODES

    def matches(self, event: Event, context: RuleContext | None = None) -> bool:
        """True when `event` passes the prefilter and the predicate."""
        if self.event_names and event.name not in self.event_names:
            return False
        if self.identity_types and event.identity_type not in self.identity_types:
            return False
        return self.predicate(event, context or RuleContext())

    def keys(self, event: Event, context: RuleContext | None = None) -> list[str]:
        """What a counting rule counts in `event` ([] when it does not count it)."""
        if self.threshold is None or not self.matches(event, context):
            return []
        return self.threshold.keys(event, context or RuleContext())

    def description_of(self, event: Event) -> str:
        """The one-line description of a finding whose first event is `event`."""
        if self.describe is not None:
            return self.describe(event)
        return f"{self.title}: {event.name} by {event.principal}"


def _json_object(text: object) -> dict[str, Any]:
    if not isinstance(text, str) or not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def items(value: object) -> list[dict[str, Any]]:
    """`{"items": [...]}` (CloudTrail's list wrapper) or a plain list, as a list of dicts."""
    if isinstance(value, dict):
        value = value.get("items")
    if not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def caller_names(event: Event) -> set[str]:
    """The names the caller goes by: its IAM user name, or its session name (an Identity Center
    or named session is the person's name)."""
    names = {event.get("identity_user_name"), event.get("session_name")}
    return {str(n) for n in names if n}


def is_person(event: Event) -> bool:
    """A human's credentials: an IAM user, root, a federated user or an Identity Center session
    (pipelines and workloads act through roles of their own)."""
    if event.identity_type in ("IAMUser", "Root", "FederatedUser", "IdentityCenterUser"):
        return True
    return str(event.get("session_issuer_name") or "").startswith("AWSReservedSSO_")


def listing_then_reads(
    event: Event, context: RuleContext, listing: str, marker: str, reads: Keys
) -> list[str]:
    """The keys of a person walking a store (a `requires=marker` counting rule): `marker` for
    their successful `listing` call, else the entries their read named (`reads`); nothing for
    anyone else's credentials."""
    if not is_person(event):
        return []
    if event.name == listing:
        return [marker] if event.succeeded else []
    return reads(event, context)


def by_service(event: Event) -> bool:
    """An AWS service acting (invokedBy, or one of its service-linked roles)."""
    if event.get("identity_invoked_by") or event.identity_type == "AWSService":
        return True
    return str(event.get("session_issuer_name") or "").startswith("AWSServiceRoleFor")


def where(event: Event) -> str:
    """` from <address>` for a description ("" when the source is an AWS service's name)."""
    source = event.get("source_ip_address")
    return f" from {source}" if source and event.get("source_is_ip") else ""
