"""SSH or RDP opened to 0.0.0.0/0 (or ::/0): an administrative door open to the internet."""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, items, where

ADMIN_PORTS = (22, 3389)
_WORLD = ("0.0.0.0/0", "::/0")


def _describe(event: Event) -> str:
    group = event.request.get("groupId") or event.request.get("groupName") or "?"
    return (
        f"Security group {group} was opened to the internet on an administrative port "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="DefenseImpairment:EC2/DisableOrModifyCloudFirewall",
    severity=6.0,
    title="Administrative port opened to the internet",
    event_names=("AuthorizeSecurityGroupIngress",),
    attack=("T1562.007",),
    stratus=("aws.exfiltration.ec2-security-group-open-port-22-ingress",),
    describe=_describe,
)
def admin_port_open_to_world(event: Event, context: RuleContext) -> bool:
    """An ingress rule from anywhere whose port range covers SSH (22) or RDP (3389)."""
    if not event.succeeded:
        return False
    request = event.request
    permissions = items(request.get("ipPermissions"))
    if not permissions and request.get("cidrIp"):
        permissions = [request]  # the older, flat form of the call
    return any(_open_admin(p) for p in permissions)


def _open_admin(permission: dict[str, Any]) -> bool:
    ranges = [r.get("cidrIp") for r in items(permission.get("ipRanges"))]
    ranges += [r.get("cidrIpv6") for r in items(permission.get("ipv6Ranges"))]
    ranges.append(permission.get("cidrIp"))
    if not any(r in _WORLD for r in ranges):
        return False
    if str(permission.get("ipProtocol")) == "-1":
        return True  # every protocol, every port
    low, high = permission.get("fromPort"), permission.get("toPort")
    if not isinstance(low, int) or not isinstance(high, int):
        return False
    return any(low <= port <= high for port in ADMIN_PORTS)
