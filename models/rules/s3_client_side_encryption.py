"""Objects rewritten with a customer-provided key (SSE-C): S3 ransomware.

Stratus `s3-ransomware-client-side-encryption` (and the 2025 Codefinger campaign) copies each
object over itself with SSE-C: AWS keeps no copy of the key, so the owner cannot read the data
until they pay for it. SSE-C is rare enough in practice that AWS now blocks it on new buckets.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

_SSE_C = "x-amz-server-side-encryption-customer-algorithm"


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    key = event.request.get("key") or "?"
    return (
        f"Object {key} of S3 bucket {bucket} was rewritten with a customer-provided key "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Impact:S3/DataEncryptedForImpact",
    severity=8.0,
    title="S3 objects encrypted with a customer-provided key",
    event_names=("CopyObject",),
    attack=("T1486",),
    stratus=("aws.impact.s3-ransomware-client-side-encryption",),
    describe=_describe,
)
def s3_client_side_encryption(event: Event, context: RuleContext) -> bool:
    """A successful CopyObject writing with SSE-C."""
    return event.succeeded and bool(event.request.get(_SSE_C))
