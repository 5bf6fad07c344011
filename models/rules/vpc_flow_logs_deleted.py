"""VPC flow logs deleted: the network record of the account stops (Stratus
`vpc-remove-flow-logs`; GuardDuty's Custom Detection Rule VPCFlowLogsDeleted, High)."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"VPC flow logs were deleted by {event.principal}{where(event)}"


@rule(
    finding_type="DefenseImpairment:EC2/DisableOrModifyTools",
    severity=8.0,
    title="VPC flow logs deleted",
    event_names=("DeleteFlowLogs",),
    attack=("T1562.008", "T1562.001"),  # ATT&CK's technique; GuardDuty files it under .001
    stratus=("aws.defense-evasion.vpc-remove-flow-logs",),
    describe=_describe,
)
def vpc_flow_logs_deleted(event: Event, context: RuleContext) -> bool:
    """A successful DeleteFlowLogs."""
    return event.succeeded
