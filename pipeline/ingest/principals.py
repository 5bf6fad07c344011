"""Whom behaviour belongs to: the principal key of a CloudTrail `userIdentity`. Pure functions.

An assumed-role session ARN (`arn:aws:sts::<acct>:assumed-role/<role>/<session>`) is not a stable
identity. Behaviour is learned per *role* when the session name is random (EC2 instance ids,
Lambda/ECS task ids, SDK-generated names) and per *role + session name* when the session name is
stable, above all when it is a person (Identity Center `AWSReservedSSO_*` roles, where it is the
user's name or email). Keying every session separately makes every Lambda look new; keying every
SSO role as one merges all the people who share a permission set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

# Session names that change on every session: keyed by their role, not by themselves.
_RANDOM_SESSION = re.compile(
    r"""^(
        i-[0-9a-f]{8,17}                                   # EC2 instance id
      | [0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}  # UUID (ECS, SDKs)
      | [0-9a-f]{16,}                                      # task ids, hex tokens
      | (botocore-session|aws-go-sdk|aws-sdk-java|aws-sdk-js|AWSCLI-Session|Session)[-_]?\d+
      | \d{6,}                                             # epoch-style names
      | .*\d{10,}.*                                        # names carrying a timestamp
    )$""",
    re.VERBOSE | re.IGNORECASE,
)
_SSO_ROLE_PREFIX = "AWSReservedSSO_"


@dataclass(frozen=True)
class Principal:
    """The key behaviour is learned on, what kind of principal it is, and its session name."""

    key: str
    kind: str
    session_name: str | None = None


def principal_of(identity: dict[str, Any]) -> Principal:
    """The principal key of a `userIdentity` object (see the module docstring)."""
    kind = str(identity.get("type") or "")
    account = _str(identity.get("accountId"))
    arn = _str(identity.get("arn"))
    if kind == "Root":
        return Principal(arn or f"arn:aws:iam::{account}:root", "root")
    if kind == "IAMUser":
        user = _str(identity.get("userName"))
        return Principal(arn or f"arn:aws:iam::{account}:user/{user}", "iam_user")
    if kind == "AssumedRole":
        return _assumed_role(identity, arn, account)
    if kind == "AWSService":
        return Principal(_str(identity.get("invokedBy")) or "unknown-service", "service")
    if kind == "FederatedUser":
        return Principal(arn or f"federated:{identity.get('principalId')}", "federated")
    if kind == "IdentityCenterUser":
        on_behalf = identity.get("onBehalfOf") or {}
        user_id = on_behalf.get("userId") if isinstance(on_behalf, dict) else None
        return Principal(f"identitycenter:{user_id or identity.get('principalId')}", "sso_user")
    if kind in ("WebIdentityUser", "SAMLUser"):
        provider = _str(identity.get("identityProvider"))
        return Principal(f"{kind}:{provider}/{identity.get('userName')}", "web_identity")
    if kind == "AWSAccount":
        return Principal(f"aws-account:{account}/{identity.get('principalId')}", "aws_account")
    fallback = arn or _str(identity.get("principalId")) or _str(identity.get("userName"))
    return Principal(fallback or f"unknown:{account or '-'}", "unknown")


def _assumed_role(identity: dict[str, Any], arn: str, account: str) -> Principal:
    """Role ARN for machine sessions, session ARN for stable (human) sessions."""
    context = identity.get("sessionContext")
    issuer = context.get("sessionIssuer") if isinstance(context, dict) else None
    issuer_arn = _str(issuer.get("arn")) if isinstance(issuer, dict) else ""
    role_name, session = _split_session_arn(arn)
    role_arn = issuer_arn or (f"arn:aws:iam::{account}:role/{role_name}" if role_name else arn)
    if not session:
        return Principal(role_arn or f"unknown-role:{account}", "role")
    if is_random_session(session) and not role_name.startswith(_SSO_ROLE_PREFIX):
        return Principal(role_arn, "role", session)
    return Principal(arn, "role_session", session)


def is_random_session(name: str) -> bool:
    """True when a role session name is generated per session rather than naming someone."""
    if "@" in name:
        return False
    return bool(_RANDOM_SESSION.match(name))


def _split_session_arn(arn: str) -> tuple[str, str]:
    """(role name, session name) of `arn:aws:sts::<acct>:assumed-role/<role>/<session>`."""
    marker = ":assumed-role/"
    if marker not in arn:
        return "", ""
    rest = arn.split(marker, 1)[1]
    role, _, session = rest.partition("/")
    return role, session


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""
