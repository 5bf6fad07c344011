"""A new default version of a managed policy that allows everything: the classic privilege
escalation by iam:CreatePolicyVersion.

A principal allowed to create versions of a policy attached to itself rewrites it into
`*` on `*`, made default at once. Infrastructure as code creates default versions too, but of
the narrow policies it manages; only a document granting every action on every resource counts.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where
from trailguard.models.rules.policy import grants_everything, policy_document


def _describe(event: Event) -> str:
    policy = event.request.get("policyArn") or "?"
    return (
        f"Managed policy {policy} was given a default version allowing everything "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="PrivilegeEscalation:IAM/AdditionalCloudRoles",
    severity=7.0,
    title="Managed policy rewritten to allow everything",
    event_names=("CreatePolicyVersion",),
    attack=("T1098.003",),
    describe=_describe,
)
def policy_version_set_as_default(event: Event, context: RuleContext) -> bool:
    """CreatePolicyVersion with setAsDefault and a `*` on `*` document (succeeded)."""
    request = event.request
    if not event.succeeded or request.get("setAsDefault") not in (True, "true"):
        return False
    return grants_everything(policy_document(request.get("policyDocument")))
