"""BatchGetSecretValue by filter called page after page (Stratus
`secretsmanager-batch-retrieve-secrets`).

A filter returns up to 20 secrets a page: an application reading its own secrets by tag gets them
in one call. Three filtered calls within ten minutes is a principal paging through more secrets
than any one service holds.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    return f"{event.principal} paged through Secrets Manager secrets in batches{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:SecretsManager/CloudSecretsManagementStores",
    severity=6.0,
    title="Secrets retrieved in repeated batches",
    event_names=("BatchGetSecretValue",),
    window=timedelta(minutes=10),
    count=3,
    by_request=False,  # it counts calls: identical pages are still pages
    attack=("T1555.006",),
    stratus=("aws.credential-access.secretsmanager-batch-retrieve-secrets",),
    describe=_describe,
)
def secrets_batch_paging(event: Event, context: RuleContext) -> list[str]:
    """The call itself, when it retrieves by filter rather than by a list of secrets."""
    if not isinstance(event.request.get("filters"), list):
        return []
    return [str(event.get("event_id"))]
