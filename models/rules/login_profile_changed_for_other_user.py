"""Another IAM user's console password changed (Stratus `iam-update-user-login-profile`).

Whoever may call UpdateLoginProfile on a more powerful user becomes that user. A help-desk reset
forces a new password at the next sign-in (`passwordResetRequired`), so the helper does not keep
the account; a reset without it is a takeover.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, caller_names, where


def _describe(event: Event) -> str:
    user = event.request.get("userName") or "?"
    return f"The console password of IAM user {user} was changed by {event.principal}{where(event)}"


@rule(
    finding_type="PrivilegeEscalation:IAM/AccountManipulation",
    severity=7.0,
    title="Another user's console password changed",
    event_names=("UpdateLoginProfile",),
    attack=("T1098",),
    stratus=("aws.privilege-escalation.iam-update-user-login-profile",),
    describe=_describe,
)
def login_profile_changed_for_other_user(event: Event, context: RuleContext) -> bool:
    """A successful UpdateLoginProfile of another user, not forcing a reset at next sign-in."""
    user = event.request.get("userName")
    if not event.succeeded or not user or str(user) in caller_names(event):
        return False
    return event.request.get("passwordResetRequired") is not True
