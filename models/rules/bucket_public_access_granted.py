"""A bucket opened to every AWS account: GuardDuty's Policy:S3/BucketPublicAccessGranted.

An ACL grant to the AuthenticatedUsers group (or the `authenticated-read` canned ACL) does not
mean "users of this account": it means anyone holding any AWS credentials.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

_AUTHENTICATED = "acs.amazonaws.com/groups/global/AuthenticatedUsers"


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return f"S3 bucket {bucket} was opened to every AWS user by {event.principal}{where(event)}"


@rule(
    finding_type="Policy:S3/BucketPublicAccessGranted",
    severity=8.0,
    title="S3 bucket opened to all AWS users",
    event_names=("PutBucketAcl",),
    attack=("T1530",),
    describe=_describe,
)
def bucket_public_access_granted(event: Event, context: RuleContext) -> bool:
    """An ACL grant to AuthenticatedUsers."""
    if not event.succeeded:
        return False
    acl = str(event.request.get("x-amz-acl") or "")
    return _AUTHENTICATED in str(event.request) or acl == "authenticated-read"
