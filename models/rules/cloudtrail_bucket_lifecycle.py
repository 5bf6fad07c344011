"""A lifecycle rule that expires a trail's log bucket within days: the trail erases itself.

Stratus `cloudtrail-lifecycle-rule` puts a one-day expiration on the trail's bucket: logging goes
on, and yesterday's evidence is gone tomorrow. Trail buckets are those CreateTrail/UpdateTrail
were seen writing to (RuleContext.trail_buckets) or named for CloudTrail. Organisations keep
CloudTrail at least 90 days (CIS, PCI DSS ask a year), so an expiry under 90 days is the signal.
"""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, items, where

MIN_RETENTION_DAYS = 90


def shortest_expiry(request: dict[str, Any]) -> int | None:
    """The fewest days after which an enabled rule expires current objects (None: none does)."""
    configuration = request.get("LifecycleConfiguration")
    rules: Any = configuration.get("Rule") if isinstance(configuration, dict) else None
    found = [rules] if isinstance(rules, dict) else items(rules)
    days = [
        r["Expiration"].get("Days")
        for r in found
        if r.get("Status") == "Enabled" and isinstance(r.get("Expiration"), dict)
    ]
    numbers = [int(d) for d in days if isinstance(d, int | str) and str(d).isdigit()]
    return min(numbers) if numbers else None


def _trail_bucket(bucket: str, context: RuleContext) -> bool:
    return bucket in context.trail_buckets or "cloudtrail" in bucket.lower()


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    days = shortest_expiry(event.request)
    return (
        f"CloudTrail bucket {bucket} was set to delete its logs after {days} day(s) "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="DefenseImpairment:S3/DisableOrModifyCloudLogs",
    severity=7.0,
    title="CloudTrail log bucket set to expire its logs",
    event_names=("PutBucketLifecycle", "PutBucketLifecycleConfiguration"),
    attack=("T1562.008",),
    stratus=("aws.defense-evasion.cloudtrail-lifecycle-rule",),
    describe=_describe,
)
def cloudtrail_bucket_lifecycle(event: Event, context: RuleContext) -> bool:
    """An enabled expiration under 90 days (MIN_RETENTION_DAYS) on a trail's bucket (succeeded)."""
    bucket = str(event.request.get("bucketName") or "")
    if not event.succeeded or not bucket or not _trail_bucket(bucket, context):
        return False
    days = shortest_expiry(event.request)
    return days is not None and days < MIN_RETENTION_DAYS
