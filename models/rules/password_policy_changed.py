"""The account's password policy deleted or weakened: GuardDuty's Stealth:IAMUser/
PasswordPolicyChange (Low). Weak passwords make the next console compromise easier."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

# CIS AWS Foundations asks for at least 14 characters.
MIN_LENGTH = 14
_REQUIRED = ("requireSymbols", "requireNumbers", "requireUppercaseCharacters")


def _describe(event: Event) -> str:
    done = "deleted" if event.name == "DeleteAccountPasswordPolicy" else "weakened"
    return (
        f"The password policy of account {event.account_id} was {done} by {event.principal}"
        f"{where(event)}"
    )


@rule(
    finding_type="Stealth:IAMUser/PasswordPolicyChange",
    severity=2.0,
    title="Account password policy weakened",
    event_names=("DeleteAccountPasswordPolicy", "UpdateAccountPasswordPolicy"),
    attack=("T1556",),
    describe=_describe,
)
def password_policy_changed(event: Event, context: RuleContext) -> bool:
    """The policy deleted, or set shorter than 14 characters or without a required class."""
    if not event.succeeded:
        return False
    if event.name == "DeleteAccountPasswordPolicy":
        return True
    request = event.request
    length = request.get("minimumPasswordLength")
    if isinstance(length, int) and length < MIN_LENGTH:
        return True
    return any(request.get(name) is False for name in _REQUIRED)
