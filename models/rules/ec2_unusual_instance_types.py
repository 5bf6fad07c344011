"""GPU or other accelerated instances launched or attempted (Stratus
`ec2-launch-unusual-instances`).

Stolen credentials are turned into cryptocurrency or model training on the most expensive
instances there are: GPU (p, g), machine-learning (inf, trn, dl) and FPGA (f, vt) families.
Denied attempts and capacity errors count: they are the attempt. An organisation that trains
models on these suppresses its training pipeline's role.
"""

from __future__ import annotations

import re

from trailguard.models.registry import rule
from trailguard.models.rules.base import Event, RuleContext, where

ACCELERATED = re.compile(r"^(?:p\d|g\d|inf\d|trn\d|dl\d|f\d|vt\d)[a-z0-9-]*\.", re.IGNORECASE)


def instance_type(event: Event) -> str:
    """The requested instance type (`{"value": ...}` in some shapes)."""
    value = event.request.get("instanceType")
    if isinstance(value, dict):
        value = value.get("value")
    return str(value or "")


def _describe(event: Event) -> str:
    outcome = "launched" if event.succeeded else "attempted"
    return f"{instance_type(event)} instances were {outcome} by {event.principal}{where(event)}"


@rule(
    finding_type="Impact:EC2/ComputeHijacking",
    severity=5.0,
    title="Accelerated (GPU) instances launched or attempted",
    event_names=("RunInstances",),
    attack=("T1496.001",),
    stratus=("aws.execution.ec2-launch-unusual-instances",),
    describe=_describe,
)
def ec2_unusual_instance_types(event: Event, context: RuleContext) -> bool:
    """RunInstances of a GPU, ML or FPGA instance type, whatever the outcome."""
    return bool(ACCELERATED.match(instance_type(event)))
