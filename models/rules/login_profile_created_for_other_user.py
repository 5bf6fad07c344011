"""A console password created for another IAM user (Stratus `iam-create-user-login-profile`).

A service user without a password cannot sign in to the console; giving it one, chosen by the
caller, opens the console with that user's permissions.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, caller_names, where


def _describe(event: Event) -> str:
    user = event.request.get("userName") or "?"
    return f"A console password was created for IAM user {user} by {event.principal}{where(event)}"


@rule(
    finding_type="Persistence:IAM/AdditionalCloudCredentials",
    severity=6.0,
    title="Console password created for another user",
    event_names=("CreateLoginProfile",),
    attack=("T1098.001",),
    stratus=("aws.persistence.iam-create-user-login-profile",),
    describe=_describe,
)
def login_profile_created_for_other_user(event: Event, context: RuleContext) -> bool:
    """A successful CreateLoginProfile for a user other than the caller."""
    user = event.request.get("userName")
    return event.succeeded and bool(user) and str(user) not in caller_names(event)
