"""An account trying to leave its organisation: it would shed the organisation's guardrails.

GuardDuty's Custom Detection Rule `OrganizationLeaveAttempt` (High) reports it under this type.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return (
        f"Account {event.account_id} attempted to leave its AWS organisation, "
        f"called by {event.principal}{where(event)}"
    )


@rule(
    finding_type="DefenseImpairment:Organizations/ModifyCloudResourceHierarchy",
    severity=8.0,
    title="Attempt to leave the AWS organisation",
    event_names=("LeaveOrganization",),
    attack=("T1666",),
    stratus=("aws.defense-evasion.organizations-leave",),
    describe=_describe,
)
def leave_organization(event: Event, context: RuleContext) -> bool:
    """Any LeaveOrganization call, failed ones included: the attempt is the signal."""
    return event.get("event_source") in (None, "organizations.amazonaws.com")
