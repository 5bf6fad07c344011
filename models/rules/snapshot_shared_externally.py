"""An EBS snapshot shared publicly or with an account outside the organisation: its disk walks
out (Stratus `ec2-share-ebs-snapshot`)."""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, items, where

# requestParameters key holding the permission change, per API.
PERMISSION_KEY = {
    "ModifySnapshotAttribute": "createVolumePermission",
    "ModifyImageAttribute": "launchPermission",
}


def grantees(event: Event) -> list[str]:
    """The accounts (or `all`) an attribute change of a snapshot, image or RDS snapshot adds."""
    request = event.request
    if event.name in PERMISSION_KEY:
        change: Any = request.get(PERMISSION_KEY[event.name]) or {}
        added = items(change.get("add")) if isinstance(change, dict) else []
        return [str(i.get("group") or i.get("userId")) for i in added if _grant(i)]
    if request.get("attributeName") == "restore":
        return [str(value) for value in request.get("valuesToAdd") or []]
    return []


def shared_outside(event: Event, context: RuleContext) -> list[str]:
    """The grantees of a successful change that are public or outside the organisation."""
    if not event.succeeded:
        return []
    return [
        g for g in grantees(event) if g in ("all", "*") or context.outside_org(g, event.account_id)
    ]


def _grant(item: dict[str, Any]) -> bool:
    return item.get("group") == "all" or bool(item.get("userId"))


def _describe(event: Event) -> str:
    snapshot = event.request.get("snapshotId") or "?"
    return (
        f"EBS snapshot {snapshot} was shared with {', '.join(grantees(event))} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Exfiltration:EC2/TransferDataToCloudAccount",
    severity=7.0,
    title="EBS snapshot shared outside the organisation",
    event_names=("ModifySnapshotAttribute",),
    attack=("T1537",),
    stratus=("aws.exfiltration.ec2-share-ebs-snapshot",),
    describe=_describe,
)
def snapshot_shared_externally(event: Event, context: RuleContext) -> bool:
    """A snapshot's createVolumePermission given to `all` or an account outside the org."""
    return bool(shared_outside(event, context))
