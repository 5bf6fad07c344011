"""A root session made with sts:AssumeRoot used: GuardDuty's Policy:IAMUser/
ShortTermRootCredentialUsage (Low). Centralised root access is meant for a few tasks (unlocking a
bucket policy, deleting root credentials); each use is worth a look. As for root itself, one
finding per place the sessions act from (`episode="actor"`)."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.root_credential_usage import short_term


def _describe(event: Event) -> str:
    return (
        f"Short-term root credentials of account {event.account_id} called {event.name}"
        f"{where(event)}"
    )


@rule(
    finding_type="Policy:IAMUser/ShortTermRootCredentialUsage",
    severity=2.0,
    title="Short-term root credentials used",
    identity_types=("Root",),
    attack=("T1078.004",),
    describe=_describe,
    episode="actor",
)
def short_term_root_credential_usage(event: Event, context: RuleContext) -> bool:
    """A successful call by an AssumeRoot session (userIdentity `assumedRoot` true)."""
    return event.succeeded and short_term(event)
