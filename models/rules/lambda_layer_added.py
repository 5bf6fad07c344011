"""Layers (extensions) added to a Lambda function by a person, or from outside the
organisation (Stratus `lambda-layer-extension`).

A layer's code runs inside the function with its role and sees every request; an extension
keeps running between invocations. Pipelines set layers as they deploy, through roles of their
own; a person doing it by hand, or a layer published by an outside account, is the backdoor.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, is_person, items, where


def layers(event: Event) -> list[str]:
    """The layer ARNs the call set (as requested, or as the response echoes them)."""
    requested = event.request.get("layers")
    found = [str(arn) for arn in requested] if isinstance(requested, list) else []
    found += [str(layer.get("arn")) for layer in items(event.response.get("layers"))]
    return sorted({arn for arn in found if arn and arn != "None"})


def _foreign(arn: str, event: Event, context: RuleContext) -> bool:
    """A layer of another account: `arn:aws:lambda:<region>:<account>:layer:<name>:<version>`."""
    parts = arn.split(":")
    account = parts[4] if len(parts) > 4 else ""
    return bool(account) and context.outside_org(account, event.account_id)


def _describe(event: Event) -> str:
    function = event.request.get("functionName") or "?"
    return (
        f"Layers {', '.join(layers(event))} were added to Lambda function {function} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Persistence:Lambda/ImplantInternalImage",
    severity=6.0,
    title="Lambda layer added by hand or from outside",
    event_names=("UpdateFunctionConfiguration",),
    attack=("T1525",),
    stratus=("aws.persistence.lambda-layer-extension",),
    describe=_describe,
)
def lambda_layer_added(event: Event, context: RuleContext) -> bool:
    """Layers set by a person's credentials, or naming a layer of an outside account."""
    found = layers(event)
    if not event.succeeded or not found:
        return False
    return is_person(event) or any(_foreign(arn, event, context) for arn in found)
