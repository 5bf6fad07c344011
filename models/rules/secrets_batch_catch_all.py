"""BatchGetSecretValue with a filter that matches every secret (Stratus
`secretsmanager-batch-retrieve-secrets`).

An application reads its own secrets by listing them or by a filter naming them (a tag, a name
prefix). A filter of a negated value (`!tagKeyThatWillNeverExist`) or an empty one matches
everything: one call returns the secrets of the whole account, twenty at a time.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _catch_all(values: object) -> bool:
    if not isinstance(values, list) or not values:
        return True
    return all(not str(v) or str(v).startswith("!") for v in values)


def _describe(event: Event) -> str:
    return f"{event.principal} asked Secrets Manager for every secret in one batch{where(event)}"


@rule(
    finding_type="CredentialAccess:SecretsManager/CloudSecretsManagementStores",
    severity=7.0,
    title="Every secret requested in a batch",
    event_names=("BatchGetSecretValue",),
    attack=("T1555.006",),
    stratus=("aws.credential-access.secretsmanager-batch-retrieve-secrets",),
    describe=_describe,
)
def secrets_batch_catch_all(event: Event, context: RuleContext) -> bool:
    """Every filter of the call matches all secrets (negated or empty values)."""
    filters = event.request.get("filters")
    if not isinstance(filters, list) or not filters:
        return False
    return all(isinstance(f, dict) and _catch_all(f.get("values")) for f in filters)
