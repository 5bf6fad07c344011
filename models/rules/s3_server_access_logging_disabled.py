"""A bucket's server access logging switched off: GuardDuty's
Stealth:S3/ServerAccessLoggingDisabled (Low). Reads of the bucket stop leaving a record."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return (
        f"Server access logging of S3 bucket {bucket} was disabled by {event.principal}"
        f"{where(event)}"
    )


@rule(
    finding_type="Stealth:S3/ServerAccessLoggingDisabled",
    severity=2.0,
    title="S3 server access logging disabled",
    event_names=("PutBucketLogging",),
    attack=("T1562.008",),
    describe=_describe,
)
def s3_server_access_logging_disabled(event: Event, context: RuleContext) -> bool:
    """PutBucketLogging whose BucketLoggingStatus has no LoggingEnabled (succeeded)."""
    status = event.request.get("BucketLoggingStatus")
    if not event.succeeded or not isinstance(status, dict):
        return False
    return not status.get("LoggingEnabled")
