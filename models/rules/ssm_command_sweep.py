"""Shell commands sent through SSM to several instances (Stratus `ssm-send-command`).

Run Command with a shell document runs anything, as root, on every target. Operations teams use
it too, mostly through State Manager and maintenance windows (SSM itself then calls); a principal
sending shell scripts to three or more instances within ten minutes is running code across a
fleet.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, by_service, where

SHELL_DOCUMENTS = (
    "AWS-RunShellScript",
    "AWS-RunPowerShellScript",
    "AWS-RunRemoteScript",
    "AWS-RunDocument",
)


def _describe(event: Event) -> str:
    document = event.request.get("documentName") or "?"
    return f"{event.principal} sent {document} commands to several instances{where(event)}"


@threshold_rule(
    finding_type="Execution:SSM/CloudAdministrationCommand",
    severity=6.0,
    title="Shell commands sent to several instances",
    event_names=("SendCommand",),
    window=timedelta(minutes=10),
    count=3,
    per_event=50,  # SendCommand takes up to 50 instance ids
    attack=("T1651",),
    stratus=("aws.execution.ssm-send-command",),
    describe=_describe,
)
def ssm_command_sweep(event: Event, context: RuleContext) -> list[str]:
    """The instances (or tag targets) a shell-document SendCommand named."""
    request = event.request
    if by_service(event) or str(request.get("documentName")) not in SHELL_DOCUMENTS:
        return []
    ids = request.get("instanceIds")
    found = [str(i) for i in ids] if isinstance(ids, list) else []
    targets = request.get("targets")
    if isinstance(targets, list):
        found += [f"target:{t}" for t in targets]
    return sorted(set(found))
