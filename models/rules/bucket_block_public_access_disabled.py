"""A bucket's Block Public Access removed or loosened: GuardDuty's
Policy:S3/BucketBlockPublicAccessDisabled (Low). Nothing is public yet; the guard is gone."""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def loosened(configuration: Any) -> bool:
    """A PublicAccessBlockConfiguration with any of its four settings off."""
    if not isinstance(configuration, dict):
        return False
    return any(configuration.get(name) is False for name in _SETTINGS)


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return (
        f"Block Public Access of S3 bucket {bucket} was disabled by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Policy:S3/BucketBlockPublicAccessDisabled",
    severity=2.0,
    title="S3 bucket Block Public Access disabled",
    event_names=("DeleteBucketPublicAccessBlock", "PutBucketPublicAccessBlock"),
    attack=("T1530",),
    describe=_describe,
)
def bucket_block_public_access_disabled(event: Event, context: RuleContext) -> bool:
    """The bucket's block deleted, or put with a setting off (on S3, succeeded)."""
    if not event.succeeded or event.get("event_source") not in (None, "s3.amazonaws.com"):
        return False
    if not event.request.get("bucketName"):
        return False
    if event.name == "DeleteBucketPublicAccessBlock":
        return True
    return loosened(event.request.get("PublicAccessBlockConfiguration"))
