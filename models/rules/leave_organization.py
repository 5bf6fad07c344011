"""An account trying to leave its organisation: it would shed the organisation's guardrails."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext


@rule(
    finding_type="DefenseEvasion:IAMUser/LeaveOrganization",
    severity=7.0,
    title="Attempt to leave the AWS organisation",
    event_names=("LeaveOrganization",),
)
def leave_organization(event: Event, context: RuleContext) -> bool:
    """Any LeaveOrganization call, failed ones included: the attempt is the signal."""
    return event.get("event_source") in (None, "organizations.amazonaws.com")
