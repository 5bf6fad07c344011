"""Many machine images deregistered by one principal within an hour (Stratus
`ec2-deregister-ami`: data destruction that breaks recovery and autoscaling).

Image pipelines prune old AMIs every day, one or two at a time, and Data Lifecycle Manager does
it as a service; five images within an hour by one principal is a clear-out. A single
deregistration is left to the anomaly model: by itself it is routine.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, by_service, where


def _describe(event: Event) -> str:
    return f"{event.principal} deregistered many AMIs{where(event)}"


@threshold_rule(
    finding_type="Impact:EC2/DataDestruction",
    severity=6.0,
    title="Many AMIs deregistered",
    event_names=("DeregisterImage",),
    window=timedelta(hours=1),
    count=5,
    attack=("T1485",),
    stratus=("aws.impact.ec2-deregister-ami",),
    describe=_describe,
)
def ami_mass_deregistration(event: Event, context: RuleContext) -> list[str]:
    """The image a principal (not a service) deregistered (succeeded)."""
    image = event.request.get("imageId")
    if not image or not event.succeeded or by_service(event):
        return []
    return [str(image)]
