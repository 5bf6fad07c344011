"""Administrator rights given to a user, group or role (Stratus `iam-create-admin-user`).

The AdministratorAccess managed policy attached, or an inline policy put whose statement allows
every action (`*`) on every resource (`*`). The inline document arrives URL-encoded or as a JSON
string in requestParameters.policyDocument.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import ADMIN_POLICY, grants_everything, policy_document

_ATTACH = ("AttachUserPolicy", "AttachGroupPolicy", "AttachRolePolicy")
_PUT = ("PutUserPolicy", "PutGroupPolicy", "PutRolePolicy")


def _target(event: Event) -> str:
    request = event.request
    for kind in ("userName", "groupName", "roleName"):
        if request.get(kind):
            return f"{kind.removesuffix('Name')} {request[kind]}"
    return "?"


def _describe(event: Event) -> str:
    return (
        f"Administrator rights were given to IAM {_target(event)} by {event.principal}"
        f"{where(event)}"
    )


@rule(
    finding_type="PrivilegeEscalation:IAM/AdditionalCloudRoles",
    severity=7.0,
    title="Administrator policy attached or put",
    event_names=(*_ATTACH, *_PUT),
    attack=("T1098.003",),
    stratus=("aws.persistence.iam-create-admin-user",),
    describe=_describe,
)
def admin_policy_granted(event: Event, context: RuleContext) -> bool:
    """AdministratorAccess attached, or an inline `*` on `*` put (succeeded)."""
    if not event.succeeded:
        return False
    if event.name in _ATTACH:
        return bool(ADMIN_POLICY.match(str(event.request.get("policyArn") or "")))
    return grants_everything(policy_document(event.request.get("policyDocument")))
