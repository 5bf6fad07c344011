"""An access key created for another IAM user (Stratus `iam-backdoor-user`,
`iam-create-admin-user`).

Keys are created by their owner (rotation) or by the pipeline that owns a service user. Creating
a key for someone else gives the caller that user's permissions, with credentials the user never
sees: a backdoor, and a way up when the user holds more than the caller.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, caller_names, where


def _describe(event: Event) -> str:
    user = event.request.get("userName") or "?"
    return f"An access key was created for IAM user {user} by {event.principal}{where(event)}"


@rule(
    finding_type="Persistence:IAM/AdditionalCloudCredentials",
    severity=6.0,
    title="Access key created for another user",
    event_names=("CreateAccessKey",),
    attack=("T1098.001",),
    stratus=("aws.persistence.iam-backdoor-user", "aws.persistence.iam-create-admin-user"),
    describe=_describe,
)
def access_key_for_other_user(event: Event, context: RuleContext) -> bool:
    """A successful CreateAccessKey whose userName is not the caller's own."""
    user = event.request.get("userName")
    return event.succeeded and bool(user) and str(user) not in caller_names(event)
