"""CloudTrail stopped or its trail deleted: the attacker's first move to go unseen."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext


@rule(
    finding_type="Stealth:IAMUser/CloudTrailLoggingDisabled",
    severity=7.5,
    title="CloudTrail logging was stopped or a trail deleted",
    event_names=("StopLogging", "DeleteTrail"),
)
def cloudtrail_logging_disabled(event: Event, context: RuleContext) -> bool:
    """A trail stopped logging or was deleted (a failed attempt changes nothing)."""
    return event.succeeded
