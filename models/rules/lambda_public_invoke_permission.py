"""A Lambda function opened to everyone, or to an account outside the organisation, by its
resource policy (Stratus `lambda-backdoor-function`).

AddPermission with principal `*` lets anyone invoke the function (with a function URL, from the
internet); the function then runs the caller's input with its role's permissions.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import account_of


def _opened_to(event: Event, context: RuleContext) -> str | None:
    principal = str(event.request.get("principal") or "")
    if principal == "*":
        return principal
    account = account_of(principal)
    return principal if account and context.outside_org(account, event.account_id) else None


def _describe(event: Event) -> str:
    function = event.request.get("functionName") or "?"
    principal = event.request.get("principal") or "?"
    return (
        f"Lambda function {function} was opened to {principal} by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Persistence:Lambda/AccountManipulation",
    severity=7.0,
    title="Lambda function opened to outside callers",
    event_names=("AddPermission",),
    attack=("T1098",),
    stratus=("aws.persistence.lambda-backdoor-function",),
    describe=_describe,
)
def lambda_public_invoke_permission(event: Event, context: RuleContext) -> bool:
    """A successful AddPermission to `*` or to an account outside the organisation."""
    if not event.succeeded or event.get("event_source") not in (None, "lambda.amazonaws.com"):
        return False
    return _opened_to(event, context) is not None
