"""SSH keys pushed with EC2 Instance Connect to several instances (Stratus
`ec2-instance-connect`).

Instance Connect lets anyone with the API permission log in to an instance with a key of their
own for 60 seconds. The console's Connect button uses it for one instance at a time; keys pushed
to three different instances within ten minutes is lateral movement.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} pushed SSH keys to several EC2 instances{where(event)}"


@threshold_rule(
    finding_type="LateralMovement:EC2/RemoteServices",
    severity=5.0,
    title="SSH keys pushed to several instances",
    event_names=("SendSSHPublicKey",),
    window=timedelta(minutes=10),
    count=3,
    attack=("T1021.004",),
    stratus=("aws.lateral-movement.ec2-instance-connect",),
    describe=_describe,
)
def instance_connect_sweep(event: Event, context: RuleContext) -> list[str]:
    """The instance a key was pushed to (succeeded)."""
    instance = event.request.get("instanceId")
    return [str(instance)] if instance and event.succeeded else []
