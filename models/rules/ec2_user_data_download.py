"""User data of many instances read (Stratus `ec2-download-user-data`).

User data holds bootstrap scripts, and often the secrets baked into them. Tools read it while
building an instance; reading five different instances' within ten minutes is harvesting
(Pacu's `ec2__download_userdata` reads every instance's). Denied attempts count.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} read the user data of many EC2 instances{where(event)}"


@threshold_rule(
    finding_type="Discovery:EC2/CloudInfrastructureDiscovery",
    severity=5.0,
    title="User data of many instances read",
    event_names=("DescribeInstanceAttribute",),
    window=timedelta(minutes=10),
    count=5,
    attack=("T1580", "T1552.005"),
    stratus=("aws.discovery.ec2-download-user-data",),
    describe=_describe,
)
def ec2_user_data_download(event: Event, context: RuleContext) -> list[str]:
    """The instance whose userData attribute was asked for."""
    instance = event.request.get("instanceId")
    if event.request.get("attribute") != "userData" or not instance:
        return []
    return [str(instance)]
