"""Root used: AWS advises against using it at all, so every use is worth a (low) finding.

One finding per place root acts from (network and agent family; `episode="actor"`): an
account's root signing in every other week from the office updates one finding, count and last
seen growing, as GuardDuty aggregates its findings; root from a new network or with a new tool
is a new one."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def short_term(event: Event) -> bool:
    """A root session made by sts:AssumeRoot (userIdentity `assumedRoot`), not a root sign-in."""
    identity = event.identity
    context = identity.get("sessionContext")
    flags = [identity.get("assumedRoot")]
    if isinstance(context, dict):
        flags.append(context.get("assumedRoot"))
    return any(str(flag).lower() == "true" for flag in flags)


def _describe(event: Event) -> str:
    return f"Root credentials of account {event.account_id} called {event.name}{where(event)}"


@rule(
    finding_type="Policy:IAMUser/RootCredentialUsage",
    severity=2.0,
    title="Root credentials used",
    identity_types=("Root",),
    attack=("T1078.004",),
    describe=_describe,
    episode="actor",
)
def root_credential_usage(event: Event, context: RuleContext) -> bool:
    """A successful call by root itself (not an AWS service acting on the account's behalf)."""
    if event.get("identity_invoked_by") or not event.succeeded or short_term(event):
        return False
    # A root that is another account's (cross-account service calls) is not this account's root.
    caller = event.get("identity_account_id")
    return (
        caller is None
        or caller == event.get("recipient_account_id")
        or not event.get("recipient_account_id")
    )
