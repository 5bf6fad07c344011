"""An administrator role handed to new compute: privilege escalation by iam:PassRole.

PassRole is not an event of its own: it is checked inside the call that hands a role over, so
the role is read from that call's parameters (CreateFunction's and UpdateFunctionConfiguration's
`role`, RunInstances' and AssociateIamInstanceProfile's instance profile, CreateStack's and
UpdateStack's `roleARN`). Whoever controls the new function, instance or stack acts as the role.
A role is an administrator's when the lake saw AdministratorAccess attached to it
(RuleContext.admin_roles) or by the names AWS gives its own (OrganizationAccountAccessRole,
AWSControlTowerExecution) and people give theirs (`...Admin...`).
"""

from __future__ import annotations

import re
from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

_ADMIN_NAME = re.compile(
    r"^(?:OrganizationAccountAccessRole|AWSControlTowerExecution)$|admin", re.IGNORECASE
)


def passed_role(event: Event) -> str | None:
    """The name of the role (or instance profile) the call hands over."""
    request = event.request
    profile: Any = request.get("iamInstanceProfile")
    candidates = [request.get("role"), request.get("roleARN")]
    if isinstance(profile, dict):
        candidates += [profile.get("arn"), profile.get("name")]
    arn = next((str(c) for c in candidates if c), None)
    return arn.rsplit("/", 1)[-1] if arn else None


def _admin(role: str, context: RuleContext) -> bool:
    return role in context.admin_roles or bool(_ADMIN_NAME.search(role))


def _describe(event: Event) -> str:
    return (
        f"Administrator role {passed_role(event)} was passed to {event.name} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="PrivilegeEscalation:IAM/TemporaryElevatedCloudAccess",
    severity=7.0,
    title="Administrator role passed to new compute",
    event_names=(
        "CreateFunction",
        "UpdateFunctionConfiguration",
        "RunInstances",
        "AssociateIamInstanceProfile",
        "ReplaceIamInstanceProfileAssociation",
        "CreateStack",
        "UpdateStack",
    ),
    attack=("T1548.005",),
    describe=_describe,
)
def role_passed_to_compute(event: Event, context: RuleContext) -> bool:
    """An administrator role passed by a principal that is not already that role (succeeded)."""
    role = passed_role(event)
    if not event.succeeded or not role or not _admin(role, context):
        return False
    return str(event.get("session_issuer_name") or "") != role
