"""The account's S3 Block Public Access removed or loosened: GuardDuty's
Policy:S3/AccountBlockPublicAccessDisabled (Low). Every bucket loses the account-wide guard."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.bucket_block_public_access_disabled import loosened


def _describe(event: Event) -> str:
    return (
        f"S3 Block Public Access of account {event.account_id} was disabled "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Policy:S3/AccountBlockPublicAccessDisabled",
    severity=2.0,
    title="Account-wide S3 Block Public Access disabled",
    event_names=("DeleteAccountPublicAccessBlock", "PutAccountPublicAccessBlock"),
    attack=("T1530",),
    describe=_describe,
)
def account_block_public_access_disabled(event: Event, context: RuleContext) -> bool:
    """The account's block deleted, or put with a setting off (succeeded)."""
    if not event.succeeded:
        return False
    if event.name == "DeleteAccountPublicAccessBlock":
        return True
    return loosened(event.request.get("PublicAccessBlockConfiguration"))
