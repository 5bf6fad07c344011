"""A Bedrock model invoked with an IAM user's long-term key or root (Stratus
`bedrock-invoke-model`; "LLMjacking").

Applications call Bedrock through the roles they run as; leaked user keys are what attackers
sell and use to run models at the victim's expense. Model calls by a user key or root are that
pattern; an organisation whose developers test models with user keys suppresses those users.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    model = event.request.get("modelId") or "?"
    return f"Bedrock model {model} was invoked by {event.principal}{where(event)}"


@rule(
    finding_type="Impact:Bedrock/CloudServiceHijacking",
    severity=5.0,
    title="Bedrock model invoked with long-term credentials",
    event_names=("InvokeModel", "InvokeModelWithResponseStream", "Converse", "ConverseStream"),
    identity_types=("IAMUser", "Root"),
    attack=("T1496.004",),
    stratus=("aws.impact.bedrock-invoke-model",),
    describe=_describe,
)
def bedrock_invoked_by_user_key(event: Event, context: RuleContext) -> bool:
    """A model call (whatever its outcome) by an IAM user or root on Bedrock."""
    return event.get("event_source") in (None, "bedrock.amazonaws.com")
