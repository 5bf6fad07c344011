"""A machine image shared publicly or with an account outside the organisation: its disks, and
whatever was baked into them, walk out (Stratus `ec2-share-ami`)."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.snapshot_shared_externally import grantees, shared_outside


def _describe(event: Event) -> str:
    image = event.request.get("imageId") or "?"
    return (
        f"AMI {image} was shared with {', '.join(grantees(event))} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Exfiltration:EC2/TransferDataToCloudAccount",
    severity=7.0,
    title="AMI shared outside the organisation",
    event_names=("ModifyImageAttribute",),
    attack=("T1537",),
    stratus=("aws.exfiltration.ec2-share-ami",),
    describe=_describe,
)
def ami_shared_externally(event: Event, context: RuleContext) -> bool:
    """An image's launchPermission given to `all` or an account outside the organisation."""
    return bool(shared_outside(event, context))
