"""An instance's user data replaced: its next boot runs the new script as root (Stratus
`ec2-user-data`).

User data can only change while the instance is stopped, and images are built with their
bootstrap; rewriting it on a running fleet's instance is running code on it.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    instance = event.request.get("instanceId") or "?"
    return f"User data of EC2 instance {instance} was replaced by {event.principal}{where(event)}"


@rule(
    finding_type="Execution:EC2/CloudAdministrationCommand",
    severity=6.0,
    title="Instance user data modified",
    event_names=("ModifyInstanceAttribute",),
    attack=("T1651",),
    stratus=("aws.execution.ec2-user-data",),
    describe=_describe,
)
def ec2_user_data_modified(event: Event, context: RuleContext) -> bool:
    """A successful ModifyInstanceAttribute carrying userData."""
    return event.succeeded and bool(event.request.get("userData"))
