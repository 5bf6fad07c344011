"""Windows passwords of many instances asked for (Stratus `ec2-get-password-data`; GuardDuty's
Custom Detection Rule EC2PasswordDataRetrieved, Medium).

An administrator fetches the password of the one or two instances they must log in to; asking
for five different instances' within an hour is harvesting. Denied attempts count: the
attacker does not know yet which instances their credentials can read.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} asked for the Windows passwords of many instances{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:EC2/UnsecuredCredentials",
    severity=5.0,
    title="Windows passwords of many instances retrieved",
    event_names=("GetPasswordData",),
    window=timedelta(hours=1),
    count=5,
    attack=("T1552",),
    stratus=("aws.credential-access.ec2-get-password-data",),
    describe=_describe,
)
def ec2_password_data_retrieval(event: Event, context: RuleContext) -> list[str]:
    """The instance a GetPasswordData call (granted or denied) asked about."""
    instance = event.request.get("instanceId")
    return [str(instance)] if instance else []
