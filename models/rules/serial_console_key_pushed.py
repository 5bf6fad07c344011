"""EC2 serial console access enabled, or an SSH key pushed to an instance's serial console
(Stratus `ec2-serial-console-send-ssh-public-key`).

The serial console reaches an instance below its network: no security group, no SSH daemon.
It is a break-glass tool that an account enables rarely and uses more rarely still.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    if event.name == "EnableSerialConsoleAccess":
        return f"EC2 serial console access was enabled by {event.principal}{where(event)}"
    instance = event.request.get("instanceId") or "?"
    return (
        f"An SSH key was pushed to the serial console of EC2 instance {instance} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="LateralMovement:EC2/RemoteServices",
    severity=6.0,
    title="EC2 serial console opened",
    event_names=("EnableSerialConsoleAccess", "SendSerialConsoleSSHPublicKey"),
    attack=("T1021",),
    stratus=("aws.lateral-movement.ec2-serial-console-send-ssh-public-key",),
    describe=_describe,
)
def serial_console_key_pushed(event: Event, context: RuleContext) -> bool:
    """Serial console access enabled, or a key pushed to it (succeeded)."""
    return event.succeeded
