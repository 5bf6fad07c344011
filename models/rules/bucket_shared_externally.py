"""A bucket policy or ACL granting anyone, or another account, access to the bucket."""

from __future__ import annotations

import re
from typing import Any

import orjson

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext

_PUBLIC_GROUPS = ("AllUsers", "AuthenticatedUsers")
_ACCOUNT = re.compile(r"(?:arn:aws:iam::)?(\d{12})")


@rule(
    finding_type="Policy:S3/BucketAnonymousAccessGranted",
    severity=7.0,
    title="S3 bucket opened to the public or another account",
    event_names=("PutBucketPolicy", "PutBucketAcl"),
)
def bucket_shared_externally(event: Event, context: RuleContext) -> bool:
    """An Allow to `*` without a condition, or to a foreign account; or a public ACL grant."""
    if not event.succeeded:
        return False
    if event.name == "PutBucketAcl":
        return any(group in str(event.request) for group in _PUBLIC_GROUPS)
    policy = event.request.get("bucketPolicy")
    if isinstance(policy, str):
        try:
            policy = orjson.loads(policy)
        except orjson.JSONDecodeError:
            return False
    if not isinstance(policy, dict):
        return False
    statements = policy.get("Statement") or []
    if isinstance(statements, dict):
        statements = [statements]
    own = event.account_id
    return any(_opens(s, own) for s in statements if isinstance(s, dict))


def _opens(statement: dict[str, Any], own: str | None) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principals = _principals(statement.get("Principal"))
    if "*" in principals and not statement.get("Condition"):
        return True
    accounts = {m.group(1) for p in principals if (m := _ACCOUNT.match(p))}
    return bool(own) and any(account != own for account in accounts)


def _principals(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        found: list[str] = []
        for inner in value.values():
            found.extend(_principals(inner))
        return found
    if isinstance(value, list):
        return [str(v) for v in value]
    return []
