"""Interactive SSM sessions opened on several instances in minutes (Stratus `ssm-start-session`).

Session Manager replaces SSH, so one session is routine; a person works in one or two at a time.
Three different instances within ten minutes is someone hopping across a fleet.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} opened SSM sessions on several instances{where(event)}"


@threshold_rule(
    finding_type="Execution:SSM/CloudAdministrationCommand",
    severity=5.0,
    title="SSM sessions opened on several instances",
    event_names=("StartSession",),
    window=timedelta(minutes=10),
    count=3,
    attack=("T1651",),
    stratus=("aws.execution.ssm-start-session", "aws.lateral-movement.ssm-start-session"),
    describe=_describe,
)
def ssm_session_sweep(event: Event, context: RuleContext) -> list[str]:
    """The instance a session was opened on (granted or denied)."""
    target = event.request.get("target")
    return [str(target)] if target else []
