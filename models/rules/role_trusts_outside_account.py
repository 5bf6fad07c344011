"""A role created or changed so that anyone, or an account outside the organisation, may assume
it (Stratus `iam-backdoor-role`, `iam-create-backdoor-role`).

A trust policy naming the attacker's account is a door that survives every password reset.
Third-party integrations (monitoring, CSPM vendors) trust outside accounts too, but AWS tells
them to require an `sts:ExternalId`; a named account with that condition is left alone. `*` is
never left alone: an external id is no secret from anyone who reads the policy.
"""

from __future__ import annotations

from typing import Any

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import account_of, aws_principals, policy_document, statements


def outside_trust(event: Event, context: RuleContext) -> list[str]:
    """The principals (`*` or outside accounts) the new trust policy lets assume the role."""
    request = event.request
    document = request.get("policyDocument") or request.get("assumeRolePolicyDocument")
    found: set[str] = set()
    for statement in statements(policy_document(document)):
        if statement.get("Effect") == "Allow":
            found.update(_outsiders(statement, event, context))
    return sorted(found)


def _outsiders(statement: dict[str, Any], event: Event, context: RuleContext) -> list[str]:
    vendor = "sts:externalid" in str(statement.get("Condition")).lower()
    return [
        p
        for p in aws_principals(statement.get("Principal"))
        if p == "*" or (not vendor and _outside(account_of(p), event, context))
    ]


def _outside(account: str | None, event: Event, context: RuleContext) -> bool:
    return account is not None and context.outside_org(account, event.account_id)


def _role(event: Event) -> str:
    return str(event.request.get("roleName") or "?")


def _describe(event: Event) -> str:
    done = "created" if event.name == "CreateRole" else "changed"
    trusted = ", ".join(outside_trust(event, RuleContext()))  # every other account, unscoped
    return (
        f"IAM role {_role(event)} was {done} to trust {trusted} by {event.principal}{where(event)}"
    )


@rule(
    finding_type="Persistence:IAM/AdditionalCloudRoles",
    severity=7.5,
    title="Role opened to an outside account",
    event_names=("CreateRole", "UpdateAssumeRolePolicy"),
    attack=("T1098.003",),
    stratus=("aws.persistence.iam-backdoor-role", "aws.persistence.iam-create-backdoor-role"),
    describe=_describe,
)
def role_trusts_outside_account(event: Event, context: RuleContext) -> bool:
    """A trust policy allowing `*` or an outside account, without an sts:ExternalId condition."""
    return event.succeeded and bool(outside_trust(event, context))
