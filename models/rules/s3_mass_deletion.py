"""Objects of S3 deleted one by one at a script's pace: S3 ransomware (individual deletion).

Stratus `s3-ransomware-individual-deletion` walks a bucket and deletes every object and version
with DeleteObject. A person deletes through the console or `aws s3 rm`, which batch up to 1,000
keys in one DeleteObjects call; 50 single deletions within ten minutes is a program emptying a
bucket. Programs that clean up that fast by design are workloads to suppress by principal.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return f"{event.principal} deleted many objects of S3 bucket {bucket}{where(event)}"


@threshold_rule(
    finding_type="Impact:S3/DataDestruction",
    severity=7.0,
    title="Mass deletion of S3 objects",
    event_names=("DeleteObject",),
    window=timedelta(minutes=10),
    count=50,
    attack=("T1485",),
    stratus=("aws.impact.s3-ransomware-individual-deletion",),
    describe=_describe,
)
def s3_mass_deletion(event: Event, context: RuleContext) -> list[str]:
    """The object (and version) a successful DeleteObject removed."""
    bucket, key = event.request.get("bucketName"), event.request.get("key")
    if not event.succeeded or not bucket or not key:
        return []
    version = event.request.get("versionId")
    return [f"{bucket}/{key}" + (f"?versionId={version}" if version else "")]
