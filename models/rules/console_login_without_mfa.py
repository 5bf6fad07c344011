"""A console sign-in of an IAM user or root without MFA: a password alone opened the console."""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext


@rule(
    finding_type="UnauthorizedAccess:IAMUser/ConsoleLoginSuccess.B",
    severity=5.0,
    title="Console login without MFA",
    event_names=("ConsoleLogin",),
    identity_types=("IAMUser", "Root"),
)
def console_login_without_mfa(event: Event, context: RuleContext) -> bool:
    """Successful ConsoleLogin of an IAM user or root with MFAUsed = No (SAML/SSO excluded).

    Identity Center and SAML sign-ins report MFAUsed = No even when the identity provider
    enforced MFA, so only IAM users and root are judged, and SAML logins are skipped.
    """
    if (event.response.get("ConsoleLogin") or "Success") != "Success" or not event.succeeded:
        return False
    if event.additional.get("SamlProviderArn"):
        return False
    return event.additional.get("MFAUsed") == "No"
