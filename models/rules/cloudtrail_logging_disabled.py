"""CloudTrail stopped or its trail deleted: the attacker's first move to go unseen.

GuardDuty rates its `CloudTrailLoggingDisabled` Low, because GuardDuty keeps reading management
events through its own feed when a trail stops. trailguard reads only the trail: a stopped or
deleted trail blinds it, so the finding is High.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    trail = event.request.get("name") or "?"
    done = "deleted" if event.name == "DeleteTrail" else "stopped"
    return f"CloudTrail trail {trail} was {done} by {event.principal}{where(event)}"


@rule(
    finding_type="Stealth:IAMUser/CloudTrailLoggingDisabled",
    severity=7.5,
    title="CloudTrail logging was stopped or a trail deleted",
    event_names=("StopLogging", "DeleteTrail"),
    attack=("T1562.008",),
    stratus=("aws.defense-evasion.cloudtrail-stop", "aws.defense-evasion.cloudtrail-delete"),
    describe=_describe,
)
def cloudtrail_logging_disabled(event: Event, context: RuleContext) -> bool:
    """A trail stopped logging or was deleted (a failed attempt changes nothing)."""
    return event.succeeded
