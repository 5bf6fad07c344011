"""An IAM Roles Anywhere trust anchor created: certificates of the anchor's authority may now
assume roles from anywhere (Stratus `rolesanywhere-create-trust-anchor`).

With a certificate authority of their own registered, an attacker mints credentials from outside
AWS whenever they like. Trust anchors are set up once per organisation, by its platform team.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    name = event.request.get("name") or "?"
    what = "trust anchor" if event.name == "CreateTrustAnchor" else "profile"
    return f"IAM Roles Anywhere {what} {name} was created by {event.principal}{where(event)}"


@rule(
    finding_type="Persistence:RolesAnywhere/AdditionalCloudCredentials",
    severity=6.0,
    title="IAM Roles Anywhere trust anchor created",
    event_names=("CreateTrustAnchor", "CreateProfile"),
    attack=("T1098.001",),
    stratus=("aws.persistence.rolesanywhere-create-trust-anchor",),
    describe=_describe,
)
def rolesanywhere_trust_anchor(event: Event, context: RuleContext) -> bool:
    """A successful CreateTrustAnchor or CreateProfile on rolesanywhere."""
    source = event.get("event_source")
    return event.succeeded and source in (None, "rolesanywhere.amazonaws.com")
