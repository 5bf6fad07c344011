"""An IAM user minting federation tokens (Stratus `sts-federation-token`).

GetFederationToken turns a user's key into sessions that outlive the key's deactivation: a
stolen key deleted by the responders keeps working through the tokens made with it. Few
organisations still run token brokers on it; theirs is the one user to suppress.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    name = event.request.get("name") or "?"
    return f"Federation token {name} was issued to {event.principal}{where(event)}"


@rule(
    finding_type="Persistence:STS/AdditionalCloudCredentials",
    severity=5.0,
    title="Federation token issued",
    event_names=("GetFederationToken",),
    identity_types=("IAMUser",),
    attack=("T1098.001", "T1550.001"),
    stratus=("aws.persistence.sts-federation-token",),
    describe=_describe,
)
def federation_token_issued(event: Event, context: RuleContext) -> bool:
    """A successful GetFederationToken by an IAM user."""
    return event.succeeded
