"""Credentials of an EC2 instance, Lambda function or ECS task used from outside AWS.

GuardDuty's `InstanceCredentialExfiltration.OutsideAWS`: a workload's role credentials only ever
come from inside AWS, so a call with them from an address outside AWS's networks means they were
lifted (from the metadata service, the environment, a leaked log) and replayed elsewhere.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import INSTANCE_SESSION, Event, RuleContext, where

# Services that legitimately relay an instance's calls from their own addresses.
_RELAYS = ("ssm.amazonaws.com", "ssmmessages.amazonaws.com", "ec2messages.amazonaws.com")


def _describe(event: Event) -> str:
    return (
        f"Credentials of workload {event.principal} were used{where(event)}, "
        f"an address outside AWS, to call {event.name}"
    )


@rule(
    finding_type="UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS",
    severity=8.0,
    title="Workload credentials used from outside AWS",
    identity_types=("AssumedRole",),
    outside_aws=True,
    workloads_only=True,
    attack=("T1552.005",),
    stratus=("aws.credential-access.ec2-steal-instance-credentials",),
    describe=_describe,
)
def instance_credentials_outside_aws(event: Event, context: RuleContext) -> bool:
    """A workload role session calling from a public, non-AWS, untrusted address."""
    if event.inside_aws is not False or event.get("identity_invoked_by"):
        return False
    if event.get("event_source") in _RELAYS or event.get("vpc_endpoint_id"):
        return False
    if context.trusted(event.get("source_ip_address")):
        return False
    session = str(event.get("session_name") or "")
    if INSTANCE_SESSION.match(session):
        return True
    keys = (event.get("principal_key"), event.get("session_issuer_arn"))
    return any(key in context.workloads for key in keys if key)
