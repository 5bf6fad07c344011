"""Who makes calls: one ``Identity`` per principal, rendered as CloudTrail's ``userIdentity``.

Role sessions rotate every hour, as real credentials do: each hour of activity gets its own
``ASIA`` key and ``creationDate``. Long-term IAM-user keys (``AKIA``) never change.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any

from trailguard.pipeline.ingest.principals import principal_of

_ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_SESSION_SECONDS = 3600


def aws_id(rng: random.Random, prefix: str, length: int = 16) -> str:
    """An AWS-shaped unique id: ``AKIA``/``ASIA``/``AIDA``/``AROA`` and base32 characters."""
    return prefix + "".join(rng.choices(_ID_CHARS, k=length))


def iso(epoch: float) -> str:
    """CloudTrail's time format: ``2026-10-01T08:15:02Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


@dataclass(eq=False)
class Identity:
    """A principal of the organisation. ``kind`` is one of iam_user, root, role, role_session,
    service, federated, web_identity, aws_account; ``role`` is a machine role keyed by its role
    ARN and ``role_session`` a person's session keyed by its session ARN. ``recipient`` is the
    account that records the calls when it is not the principal's own (cross-account)."""

    kind: str
    account_id: str
    name: str
    arn: str = ""
    principal_id: str = ""
    session_name: str = ""
    access_key: str = ""
    issuer: dict[str, str] | None = None
    mfa: bool = False
    seed: int = 0
    recipient: str = ""
    _sessions: dict[int, dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> str:
        """The principal key ingest computes for this identity's records."""
        return principal_of(self.user_identity(0)).key

    def user_identity(self, epoch: float, *, console: bool = False) -> dict[str, Any]:
        """``userIdentity`` for a call at ``epoch``; shared between calls of one session."""
        if self.kind in _SESSIONLESS or (self.kind == "iam_user" and not console):
            window = -1
        else:
            window = int(epoch) // _SESSION_SECONDS
        cached = self._sessions.get(window)
        if cached is None:
            cached = self._render(window)
            self._sessions[window] = cached
        return cached

    def _render(self, window: int) -> dict[str, Any]:
        if self.kind == "service":
            return {"type": "AWSService", "invokedBy": self.name}
        if self.kind == "aws_account":
            return {
                "type": "AWSAccount",
                "principalId": self.principal_id,
                "accountId": self.account_id,
            }
        if self.kind == "web_identity":
            return {
                "type": "WebIdentityUser",
                "principalId": self.principal_id,
                "userName": self.name,
                "identityProvider": self.arn,
            }
        rng = random.Random(f"{self.seed}:{self.arn}:{window}")
        ui: dict[str, Any] = {
            "type": _TYPES[self.kind],
            "principalId": self.principal_id,
            "arn": self.arn,
            "accountId": self.account_id,
        }
        if self.kind == "iam_user":
            ui["accessKeyId"] = self.access_key if window < 0 else aws_id(rng, "ASIA")
            ui["userName"] = self.name
            if window < 0:
                return ui
        else:
            ui["accessKeyId"] = aws_id(rng, "ASIA")
        created = iso(window * _SESSION_SECONDS + rng.randrange(0, 300)) if window >= 0 else ""
        context: dict[str, Any] = {}
        if self.issuer is not None:
            context["sessionIssuer"] = dict(self.issuer)
            if self.kind in ("role", "role_session"):
                context["webIdFederationData"] = {}
        context["attributes"] = {
            "creationDate": created,
            "mfaAuthenticated": "true" if self.mfa else "false",
        }
        ui["sessionContext"] = context
        return ui


_SESSIONLESS = frozenset({"service", "aws_account", "web_identity"})
_TYPES = {
    "iam_user": "IAMUser",
    "root": "Root",
    "role": "AssumedRole",
    "role_session": "AssumedRole",
    "federated": "FederatedUser",
}


def iam_user(rng: random.Random, account: str, name: str, *, mfa: bool = False) -> Identity:
    """An IAM user with a long-term ``AKIA`` access key."""
    return Identity(
        "iam_user",
        account,
        name,
        f"arn:aws:iam::{account}:user/{name}",
        aws_id(rng, "AIDA", 17),
        access_key=aws_id(rng, "AKIA"),
        mfa=mfa,
        seed=rng.getrandbits(32),
    )


def root(rng: random.Random, account: str) -> Identity:
    """The account's root user (always signs in with MFA in the benign population)."""
    return Identity(
        "root",
        account,
        "root",
        f"arn:aws:iam::{account}:root",
        account,
        mfa=True,
        seed=rng.getrandbits(32),
    )


def assumed_role(
    rng: random.Random,
    account: str,
    role: str,
    session: str,
    *,
    path: str = "/",
    person: bool = False,
    mfa: bool = False,
) -> Identity:
    """An assumed-role session; ``person`` sessions (SSO, named humans) are keyed separately."""
    role_id = aws_id(rng, "AROA", 17)
    issuer = {
        "type": "Role",
        "principalId": role_id,
        "arn": f"arn:aws:iam::{account}:role{path}{role}",
        "accountId": account,
        "userName": role,
    }
    return Identity(
        "role_session" if person else "role",
        account,
        role,
        f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        f"{role_id}:{session}",
        session_name=session,
        issuer=issuer,
        mfa=mfa,
        seed=rng.getrandbits(32),
    )


def sso_user(rng: random.Random, account: str, permission_set: str, email: str) -> Identity:
    """A person signed in through IAM Identity Center: an ``AWSReservedSSO_*`` role session."""
    suffix = "%016x" % rng.getrandbits(64)
    return assumed_role(
        rng,
        account,
        f"AWSReservedSSO_{permission_set}_{suffix}",
        email,
        path="/aws-reserved/sso.amazonaws.com/",
        person=True,
    )


def service(service_name: str, account: str) -> Identity:
    """An AWS service acting on its own (``AWSService``, keyed by ``invokedBy``)."""
    return Identity("service", account, service_name)


def federated(rng: random.Random, user: Identity, name: str) -> Identity:
    """A federated user minted by ``GetFederationToken`` from an IAM user's keys."""
    acct = user.account_id
    issuer = {
        "type": "IAMUser",
        "principalId": user.principal_id,
        "arn": user.arn,
        "accountId": acct,
        "userName": user.name,
    }
    return Identity(
        "federated",
        acct,
        name,
        f"arn:aws:sts::{acct}:federated-user/{name}",
        f"{acct}:{name}",
        session_name=name,
        issuer=issuer,
        seed=rng.getrandbits(32),
    )


def github_oidc(account: str, repository: str) -> Identity:
    """A GitHub Actions workflow's OIDC identity (``WebIdentityUser``), trading its token for
    a deploy role's credentials with ``AssumeRoleWithWebIdentity``."""
    provider = f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    subject = f"repo:{repository}:ref:refs/heads/main"
    return Identity(
        "web_identity", account, subject, provider, f"{provider}:sts.amazonaws.com:{subject}"
    )


def partner(rng: random.Random, partner_account: str, recipient: str) -> Identity:
    """A principal of another company's account calling into ``recipient`` (``AWSAccount``)."""
    return Identity(
        "aws_account",
        partner_account,
        "partner",
        principal_id=aws_id(rng, "AIDA", 17),
        recipient=recipient,
    )
