"""A bucket policy granting an account outside the organisation access to the bucket.

The Stratus technique `s3-backdoor-bucket-policy`: one statement naming an attacker's account
gives it the data for as long as nobody reads the policy. Accounts of the organisation (those the
trail records) are not outside. Grants to everyone are GuardDuty's own findings
(bucket_anonymous_access_granted, bucket_public_access_granted).
"""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import account_of, bucket_policy, principals, statements


def outside_accounts(event: Event, context: RuleContext) -> list[str]:
    """The accounts outside the organisation that the policy's Allow statements name."""
    found: set[str] = set()
    for statement in statements(bucket_policy(event.request)):
        found.update(_accounts(statement))
    return sorted(a for a in found if context.outside_org(a, event.account_id))


def _accounts(statement: dict[str, Any]) -> set[str]:
    if statement.get("Effect") != "Allow":
        return set()
    return {a for p in principals(statement.get("Principal")) if (a := account_of(p))}


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return (
        f"S3 bucket {bucket} was opened to an account outside the organisation "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Exfiltration:S3/TransferDataToCloudAccount",
    severity=7.0,
    title="S3 bucket shared with an account outside the organisation",
    event_names=("PutBucketPolicy",),
    attack=("T1537",),
    stratus=("aws.exfiltration.s3-backdoor-bucket-policy",),
    describe=_describe,
)
def bucket_shared_externally(event: Event, context: RuleContext) -> bool:
    """A successful bucket policy whose Allow names an account outside the organisation."""
    return event.succeeded and bool(outside_accounts(event, context))
