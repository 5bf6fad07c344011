"""A person lists the secrets, then reads several of them within minutes (Stratus
`secretsmanager-retrieve-secrets`, done quietly).

The technique lists the store and then reads what the listing showed, one secret after another;
`secrets_mass_retrieval` finds the sweep by its size (ten secrets), which a store of a few
secrets never reaches. The listing first is what gives the smaller walk away: a service reads
the secrets it is configured with by name, without listing, and a person in the console lists
the store and opens one or two. Listing and then reading five different secrets within ten
minutes is walking the list. Only a person's credentials count (`is_person`: Identity Center
sessions, IAM users, federated users, root): automation that lists and reads through a role
(External Secrets Operator finding secrets by tag, a rotation sweep) does so on every cycle, and
its own profile, not this rule, judges it. Automation on an IAM user's long-term key counts as a
person here, as it does everywhere in trailguard: suppress its user if it walks the store by
design. A person who reaches AWS through a SAML role of their own is a role session and is not
counted.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, listing_then_reads, where
from trailguard.models.rules.secrets_mass_retrieval import secrets_mass_retrieval

LISTED = "(the secret list)"


def _describe(event: Event) -> str:
    return f"{event.principal} listed the Secrets Manager secrets, then read several{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:SecretsManager/CloudSecretsManagementStores",
    severity=5.0,
    title="Secrets listed, then read one after another",
    event_names=("ListSecrets", "GetSecretValue", "BatchGetSecretValue"),
    window=timedelta(minutes=10),
    count=5,
    per_event=20,  # BatchGetSecretValue names up to 20 secrets
    batched=("BatchGetSecretValue",),
    requires=LISTED,
    attack=("T1555.006",),
    stratus=("aws.credential-access.secretsmanager-retrieve-secrets",),
    describe=_describe,
)
def secrets_listed_then_read(event: Event, context: RuleContext) -> list[str]:
    """A person's successful listing of the secrets, or the secrets a read of theirs named."""
    return listing_then_reads(event, context, "ListSecrets", LISTED, secrets_mass_retrieval)
