"""EBS snapshots, AMIs or RDS snapshots shared publicly or with another account: data walks out."""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, items

# requestParameters key holding the permission change, per API.
_PERMISSION_KEY = {
    "ModifySnapshotAttribute": "createVolumePermission",
    "ModifyImageAttribute": "launchPermission",
}


@rule(
    finding_type="Exfiltration:IAMUser/AnomalousBehavior",
    severity=7.0,
    title="Snapshot or machine image shared outside the account",
    event_names=(
        "ModifySnapshotAttribute",
        "ModifyImageAttribute",
        "ModifyDBSnapshotAttribute",
        "ModifyDBClusterSnapshotAttribute",
    ),
)
def snapshot_shared_externally(event: Event, context: RuleContext) -> bool:
    """A successful attribute change that adds `all` (public) or another account."""
    if not event.succeeded:
        return False
    own = event.account_id
    return any(grantee in ("all", "*") or grantee != own for grantee in grantees(event))


def grantees(event: Event) -> list[str]:
    """The accounts (or `all`) an attribute change adds."""
    request = event.request
    if event.name in _PERMISSION_KEY:
        change: Any = request.get(_PERMISSION_KEY[event.name]) or {}
        added = items(change.get("add")) if isinstance(change, dict) else []
        return [str(i.get("group") or i.get("userId")) for i in added if _grant(i)]
    if request.get("attributeName") == "restore":
        return [str(value) for value in request.get("valuesToAdd") or []]
    return []


def _grant(item: dict[str, Any]) -> bool:
    return item.get("group") == "all" or bool(item.get("userId"))
