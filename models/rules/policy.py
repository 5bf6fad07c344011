"""IAM and resource policy documents as CloudTrail carries them: helpers the rules share.

A policy arrives as a JSON object, a JSON string, or URL-encoded JSON (IAM's policyDocument);
`Statement`, `Action`, `Resource` and `Principal` may each be one value or a list.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote_plus

import orjson

ADMIN_POLICY = re.compile(r"^arn:aws[\w-]*:iam::aws:policy/AdministratorAccess$")


def policy_document(value: object) -> dict[str, Any]:
    """A policy document given as a dict, a JSON string or URL-encoded JSON ({} otherwise)."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    text = value
    if text.lstrip().startswith("%7B") or "%22" in text:
        text = unquote_plus(text)
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def statements(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The Statement of a policy document as a list of dicts."""
    found = document.get("Statement") or []
    if isinstance(found, dict):
        found = [found]
    return [s for s in found if isinstance(s, dict)] if isinstance(found, list) else []


def as_list(value: object) -> list[str]:
    """A policy element (a string or a list of them) as a list of strings."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def grants_everything(document: dict[str, Any]) -> bool:
    """True when a statement allows every action (`*`) on every resource (`*`)."""
    return any(
        s.get("Effect") == "Allow"
        and "*" in as_list(s.get("Action"))
        and "*" in as_list(s.get("Resource"))
        for s in statements(document)
    )


def principals(value: object) -> list[str]:
    """Every principal a statement's Principal names (`*`, account ids, ARNs, services)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        found: list[str] = []
        for inner in value.values():
            found.extend(principals(inner))
        return found
    if isinstance(value, list):
        return [str(v) for v in value]
    return []


def aws_principals(value: object) -> list[str]:
    """The AWS principals (accounts, ARNs, `*`) of a Principal; services and federations left
    out."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return as_list(value.get("AWS"))
    return []


_ACCOUNT = re.compile(r"^(?:arn:aws[\w-]*:(?:iam|sts)::)?(\d{12})")


def account_of(principal: str) -> str | None:
    """The account id a principal names (`123456789012`, `arn:aws:iam::123456789012:root`...)."""
    match = _ACCOUNT.match(principal)
    return match.group(1) if match else None


def bucket_policy(request: dict[str, Any]) -> dict[str, Any]:
    """The bucket policy of a PutBucketPolicy request ({} when unreadable)."""
    return policy_document(request.get("bucketPolicy"))


def unconditioned_public(statement: dict[str, Any]) -> bool:
    """An Allow statement to everyone (`*`) with no condition narrowing it."""
    if statement.get("Effect") != "Allow" or statement.get("Condition"):
        return False
    return "*" in principals(statement.get("Principal"))
