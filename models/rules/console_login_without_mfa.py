"""A console sign-in of an IAM user or root without MFA: a password alone opened the console.

GuardDuty has no finding for it (its `ConsoleLoginSuccess.B` is about sign-ins from many places
at once), so the type names the ATT&CK technique: valid cloud accounts used for initial access.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} signed in to the console without MFA{where(event)}"


@rule(
    finding_type="InitialAccess:IAM/CloudAccounts",
    severity=5.0,
    title="Console login without MFA",
    event_names=("ConsoleLogin",),
    identity_types=("IAMUser", "Root"),
    attack=("T1078.004",),
    stratus=("aws.initial-access.console-login-without-mfa",),
    describe=_describe,
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
