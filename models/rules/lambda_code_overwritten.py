"""A Lambda function's code replaced by a person's credentials (Stratus `lambda-overwrite-code`).

Deployments replace code all day, through the pipeline's role. Code uploaded by hand with an
IAM user's key, root, a federated user or an Identity Center session bypasses review: the
function's role now runs whatever was uploaded.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, is_person, where


def _describe(event: Event) -> str:
    function = event.request.get("functionName") or "?"
    return f"The code of Lambda function {function} was replaced by {event.principal}{where(event)}"


@rule(
    finding_type="Persistence:Lambda/ImplantInternalImage",
    severity=5.0,
    title="Lambda code replaced by hand",
    event_names=("UpdateFunctionCode",),
    attack=("T1525",),
    stratus=("aws.persistence.lambda-overwrite-code",),
    describe=_describe,
)
def lambda_code_overwritten(event: Event, context: RuleContext) -> bool:
    """A successful UpdateFunctionCode by a person's credentials."""
    return event.succeeded and is_person(event)
