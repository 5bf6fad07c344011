"""What an exact rule sees: an `Event` (one lake row, JSON fields parsed) and a `RuleContext`."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
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
    """

    workloads: frozenset[str] = frozenset()
    trusted_networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()

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

    @property
    def account_id(self) -> str | None:
        """The account the event was recorded in."""
        value = self.row.get("account_id") or self.row.get("recipient_account_id")
        return str(value) if value else self.row.get("identity_account_id")


@dataclass(frozen=True)
class Rule:
    """A registered exact rule: metadata, a prefilter for the lake query, and its predicate."""

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

    def matches(self, event: Event, context: RuleContext | None = None) -> bool:
        """True when `event` passes the prefilter and the predicate."""
        if self.event_names and event.name not in self.event_names:
            return False
        if self.identity_types and event.identity_type not in self.identity_types:
            return False
        return self.predicate(event, context or RuleContext())


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
