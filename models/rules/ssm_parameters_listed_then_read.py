"""A person lists the SSM parameters, then reads several decrypted within minutes (Stratus
`ssm-retrieve-securestring-parameters`, done quietly).

The technique describes the parameters and then reads what the listing showed, decrypted, ten
names a call; `ssm_parameters_mass_decryption` finds the sweep by its size (twenty parameters),
which an account of a few applications never reaches. The listing first is what gives the
smaller walk away: a service reads its own parameters by name or path, without listing, and a
person in the console lists them and opens one or two. Listing and then reading five different
parameters decrypted within ten minutes is walking the store. Only a person's credentials count
(`is_person`, as `secrets_listed_then_read` says, with the same two limits: automation on an IAM
user's key counts, a person's own SAML role does not): automation that lists and reads through a
role does so on every run, and its own profile judges it.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, listing_then_reads, where
from trailguard.models.rules.ssm_parameters_mass_decryption import (
    ssm_parameters_mass_decryption,
)

LISTED = "(the parameter list)"


def _describe(event: Event) -> str:
    return f"{event.principal} listed the SSM parameters, then read several decrypted{where(event)}"


@threshold_rule(
    finding_type="CredentialAccess:SSM/CloudSecretsManagementStores",
    severity=5.0,
    title="SSM parameters listed, then read decrypted",
    event_names=("DescribeParameters", "GetParameter", "GetParameters"),
    window=timedelta(minutes=10),
    count=5,
    per_event=10,  # GetParameters names up to 10
    batched=("GetParameters",),
    requires=LISTED,
    attack=("T1555.006",),
    stratus=("aws.credential-access.ssm-retrieve-securestring-parameters",),
    describe=_describe,
)
def ssm_parameters_listed_then_read(event: Event, context: RuleContext) -> list[str]:
    """A person's successful listing of the parameters, or the parameters a decrypted read of
    theirs named."""
    return listing_then_reads(
        event, context, "DescribeParameters", LISTED, ssm_parameters_mass_decryption
    )
