"""A bucket opened to anyone on the internet: GuardDuty's Policy:S3/BucketAnonymousAccessGranted.

A policy statement allowing `*` with no condition, or an ACL granting the AllUsers group (or the
`public-read`/`public-read-write` canned ACL), lets anonymous callers read or write the bucket.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import bucket_policy, statements, unconditioned_public

_ALL_USERS = "acs.amazonaws.com/groups/global/AllUsers"
_PUBLIC_ACLS = ("public-read", "public-read-write")


def _describe(event: Event) -> str:
    bucket = event.request.get("bucketName") or "?"
    return f"S3 bucket {bucket} was opened to anonymous access by {event.principal}{where(event)}"


@rule(
    finding_type="Policy:S3/BucketAnonymousAccessGranted",
    severity=8.0,
    title="S3 bucket opened to anonymous access",
    event_names=("PutBucketPolicy", "PutBucketAcl"),
    attack=("T1530",),
    describe=_describe,
)
def bucket_anonymous_access_granted(event: Event, context: RuleContext) -> bool:
    """An unconditioned Allow to `*`, or an ACL grant to AllUsers."""
    if not event.succeeded:
        return False
    if event.name == "PutBucketAcl":
        acl = str(event.request.get("x-amz-acl") or "")
        return _ALL_USERS in str(event.request) or acl in _PUBLIC_ACLS or "AllUsers" in acl
    return any(unconditioned_public(s) for s in statements(bucket_policy(event.request)))
