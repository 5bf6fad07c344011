"""A SageMaker notebook given a lifecycle script: code that runs at its next start with the
notebook's execution role (Stratus `sagemaker-update-lifecycle-config`).

Whoever may update a notebook but not its role escalates to the role: attach a script, stop,
start. Changing the script of a configuration already attached does the same.
"""

from __future__ import annotations

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where


def _describe(event: Event) -> str:
    request = event.request
    target = request.get("notebookInstanceName") or request.get(
        "notebookInstanceLifecycleConfigName"
    )
    return (
        f"A lifecycle script was attached to or changed on SageMaker notebook {target or '?'} "
        f"by {event.principal}{where(event)}"
    )


@rule(
    finding_type="PrivilegeEscalation:SageMaker/CloudAdministrationCommand",
    severity=6.0,
    title="SageMaker notebook lifecycle script attached or changed",
    event_names=("UpdateNotebookInstance", "UpdateNotebookInstanceLifecycleConfig"),
    attack=("T1651",),
    stratus=(
        "aws.privilege-escalation.sagemaker-update-lifecycle-config",
        "aws.execution.sagemaker-update-lifecycle-config",
    ),
    describe=_describe,
)
def sagemaker_lifecycle_config(event: Event, context: RuleContext) -> bool:
    """A notebook updated with a lifecycle configuration, or a configuration's script changed."""
    if not event.succeeded:
        return False
    if event.name == "UpdateNotebookInstanceLifecycleConfig":
        return True
    return bool(event.request.get("lifecycleConfigName"))
