"""Trail event selectors changed so that management events (or writes, or reads) go unlogged."""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    trail = event.request.get("trailName") or "?"
    return (
        f"Event selectors of CloudTrail trail {trail} were changed by {event.principal}"
        f"{where(event)} so that management events go unrecorded"
    )


@rule(
    finding_type="Stealth:IAMUser/CloudTrailLoggingDisabled",
    severity=7.0,
    title="CloudTrail event selectors stop recording management events",
    event_names=("PutEventSelectors",),
    attack=("T1562.008",),
    stratus=("aws.defense-evasion.cloudtrail-event-selectors",),
    describe=_describe,
)
def cloudtrail_event_selectors(event: Event, context: RuleContext) -> bool:
    """Selectors that exclude management events or one direction of them."""
    if not event.succeeded:
        return False
    selectors = event.request.get("eventSelectors")
    if isinstance(selectors, list) and selectors:
        return any(_blinding(s) for s in selectors if isinstance(s, dict))
    advanced = event.request.get("advancedEventSelectors")
    if isinstance(advanced, list) and advanced:
        return not any(_logs_management(s) for s in advanced if isinstance(s, dict))
    return False


def _blinding(selector: dict[str, Any]) -> bool:
    if selector.get("includeManagementEvents") is False:
        return True
    if selector.get("excludeManagementEventSources"):
        return True
    return selector.get("readWriteType") in ("ReadOnly", "WriteOnly")


def _logs_management(selector: dict[str, Any]) -> bool:
    for condition in selector.get("fieldSelectors") or []:
        if isinstance(condition, dict) and condition.get("field") == "eventCategory":
            return "Management" in (condition.get("equals") or [])
    return False
