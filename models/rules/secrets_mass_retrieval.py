"""Many Secrets Manager secrets read by one principal in minutes (Stratus
`secretsmanager-retrieve-secrets`).

A workload reads the few secrets it is configured with (a database password, an API key) and
caches them; a rotation function touches one secret per run. Ten different secrets within ten
minutes is a principal walking the secret list. Denied reads count: they are the attempt.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def secret_name(secret_id: str) -> str:
    """A secret's name, whether given by name or by ARN (`...:secret:<name>-<6 chars>`)."""
    if ":secret:" in secret_id:
        name = secret_id.split(":secret:", 1)[1]
        return name[:-7] if len(name) > 7 and name[-7] == "-" else name
    return secret_id


def _describe(event: Event) -> str:
    return f"{event.principal} read many Secrets Manager secrets{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:SecretsManager/CloudSecretsManagementStores",
    severity=7.0,
    title="Many secrets retrieved",
    event_names=("GetSecretValue", "BatchGetSecretValue"),
    window=timedelta(minutes=10),
    count=10,
    per_event=20,  # BatchGetSecretValue names up to 20 secrets
    batched=("BatchGetSecretValue",),
    attack=("T1555.006",),
    stratus=("aws.credential-access.secretsmanager-retrieve-secrets",),
    describe=_describe,
)
def secrets_mass_retrieval(event: Event, context: RuleContext) -> list[str]:
    """The secrets a GetSecretValue or an explicit BatchGetSecretValue named."""
    request = event.request
    if event.name == "GetSecretValue":
        named = [request.get("secretId")]
    else:
        listed = request.get("secretIdList")
        named = listed if isinstance(listed, list) else []
    return sorted({secret_name(str(s)) for s in named if s})
