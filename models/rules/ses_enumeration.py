"""SES sending limits and identities looked up together (Stratus `ses-enumerate`).

Before a phishing or spam run from a stolen account, the attacker checks how much it may send
(GetSendQuota, GetAccount) and from which addresses (ListIdentities, ListEmailIdentities...).
An application sends; it does not survey. Two different such questions within ten minutes, not
from the console (whose SES pages ask both) and not by an AWS service (Trusted Advisor checks the
quota), is that survey.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, by_service, where

SES_SURVEY = (
    "GetSendQuota",
    "GetAccount",
    "GetAccountSendingEnabled",
    "ListIdentities",
    "ListEmailIdentities",
    "ListVerifiedEmailAddresses",
    "GetIdentityVerificationAttributes",
)


def _describe(event: Event) -> str:
    return f"{event.principal} surveyed SES sending limits and identities{where(event)}"


@threshold_rule(
    finding_type="Discovery:SES/CloudServiceDiscovery",
    severity=4.0,
    title="SES sending limits and identities enumerated",
    event_names=SES_SURVEY,
    window=timedelta(minutes=10),
    count=2,
    attack=("T1526",),
    stratus=("aws.discovery.ses-enumerate",),
    describe=_describe,
)
def ses_enumeration(event: Event, context: RuleContext) -> list[str]:
    """The SES question asked, unless the console or an AWS service asked it."""
    if event.get("event_source") not in (None, "ses.amazonaws.com"):
        return []
    if by_service(event) or event.get("session_credential_from_console"):
        return []
    return [event.name]
