"""Every version of a bucket's objects listed, then deleted in a batch: S3 ransomware (batch).

Stratus `s3-ransomware-batch-deletion` lists all object versions and removes them in one
DeleteObjects call, which CloudTrail records without the keys or their number. Versioning is the
owner's protection against deletion; listing the versions and batch-deleting within ten minutes
is deleting past it. Terraform's `force_destroy` does the same before deleting a bucket: suppress
the deploy role that owns such buckets.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where

# CloudTrail has named the version listing both ways.
_LISTING = ("ListObjectVersions", "ListBucketVersions")


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return (
        f"{event.principal} listed the object versions of S3 bucket {bucket} and deleted "
        f"objects in bulk{where(event)}"
    )


@threshold_rule(
    finding_type="Impact:S3/DataDestruction",
    severity=6.0,
    title="S3 object versions listed, then deleted in bulk",
    event_names=(*_LISTING, "DeleteObjects"),
    window=timedelta(minutes=10),
    count=2,
    attack=("T1485",),
    stratus=("aws.impact.s3-ransomware-batch-deletion",),
    describe=_describe,
)
def s3_version_purge(event: Event, context: RuleContext) -> list[str]:
    """`list-versions` or `batch-delete` (succeeded): both within the window make the pair."""
    if not event.succeeded or not event.request.get("bucketName"):
        return []
    return ["batch-delete" if event.name == "DeleteObjects" else "list-versions"]
