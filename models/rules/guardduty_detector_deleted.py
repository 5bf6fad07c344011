"""The GuardDuty detector deleted or suspended: the account's managed detection switched off."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    detector = event.request.get("detectorId") or "?"
    done = "deleted" if event.name == "DeleteDetector" else "disabled"
    return f"GuardDuty detector {detector} was {done} by {event.principal}{where(event)}"


@rule(
    finding_type="DefenseImpairment:GuardDuty/DisableOrModifyTools",
    severity=7.5,
    title="GuardDuty detector deleted or disabled",
    event_names=("DeleteDetector", "UpdateDetector"),
    attack=("T1562.001",),
    describe=_describe,
)
def guardduty_detector_deleted(event: Event, context: RuleContext) -> bool:
    """DeleteDetector, or UpdateDetector with enable=false, on guardduty (succeeded)."""
    if not event.succeeded or event.get("event_source") != "guardduty.amazonaws.com":
        return False
    if event.name == "DeleteDetector":
        return True
    return event.request.get("enable") is False
