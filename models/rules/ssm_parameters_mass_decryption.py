"""Many SSM parameters read decrypted by one principal in minutes (Stratus
`ssm-retrieve-securestring-parameters`).

Services read their configuration at start-up, a few to a dozen parameters, and the same names
at every start; reading twenty different decrypted parameters within ten minutes is a sweep of
the store. Only decrypted reads count: without decryption a SecureString stays ciphertext.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} read many SSM parameters decrypted{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:SSM/CloudSecretsManagementStores",
    severity=7.0,
    title="Many SSM parameters decrypted",
    event_names=("GetParameter", "GetParameters"),
    window=timedelta(minutes=10),
    count=20,
    per_event=10,  # GetParameters names up to 10
    batched=("GetParameters",),
    attack=("T1555.006",),
    stratus=("aws.credential-access.ssm-retrieve-securestring-parameters",),
    describe=_describe,
)
def ssm_parameters_mass_decryption(event: Event, context: RuleContext) -> list[str]:
    """The parameters a GetParameter(s) call with decryption named."""
    request = event.request
    if request.get("withDecryption") is not True:
        return []
    names = request.get("names") if event.name == "GetParameters" else [request.get("name")]
    return sorted({str(n) for n in names or [] if n})
