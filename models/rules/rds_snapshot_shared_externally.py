"""An RDS snapshot shared publicly or with an account outside the organisation: the database
walks out (Stratus `rds-share-snapshot`)."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.snapshot_shared_externally import grantees, shared_outside


def _describe(event: Event) -> str:
    request = event.request
    snapshot = request.get("dBSnapshotIdentifier") or request.get("dBClusterSnapshotIdentifier")
    return (
        f"RDS snapshot {snapshot or '?'} was shared with {', '.join(grantees(event))} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Exfiltration:RDS/TransferDataToCloudAccount",
    severity=7.0,
    title="RDS snapshot shared outside the organisation",
    event_names=("ModifyDBSnapshotAttribute", "ModifyDBClusterSnapshotAttribute"),
    attack=("T1537",),
    stratus=("aws.exfiltration.rds-share-snapshot",),
    describe=_describe,
)
def rds_snapshot_shared_externally(event: Event, context: RuleContext) -> bool:
    """The `restore` attribute given to `all` or an account outside the organisation."""
    return bool(shared_outside(event, context))
