"""Execution: run code on instances, or new instances where nobody looks."""

from __future__ import annotations

from typing import Any

from trailguard.pipeline.synth.org import UNUSED_REGIONS
from trailguard.pipeline.synth.scenario import Ctx, technique

EXECUTION = "Execution:IAMUser/AnomalousBehavior"
IMPACT = "Impact:IAMUser/AnomalousBehavior"


@technique(
    "aws.execution.ec2-launch-unusual-instances",
    "Launch unusual EC2 instances",
    calls=("DescribeRegions", "RunInstances"),
    findings=(IMPACT, "Impact:EC2/ComputeHijacking"),
)
def launch_unusual_instances(c: Ctx) -> None:
    """GPU instances for mining, in a region the organisation never uses."""
    c.recon()
    c.call("DescribeRegions", req={"allRegions": True})
    regions = list(UNUSED_REGIONS)
    c.rng.shuffle(regions)
    for i, region in enumerate(regions[: 3 if c.loud else 1]):
        kind = c.rng.choice(("p3.16xlarge", "p4d.24xlarge", "g5.48xlarge", "p2.xlarge"))
        error = _VCPU_LIMIT if c.loud and i < 2 else None  # new accounts have no GPU quota
        c.call("RunInstances", region=region, error=error, **_run_instances(c, kind))


_VCPU_LIMIT = (
    "Client.VcpuLimitExceeded",
    "You have requested more vCPU capacity than your current vCPU limit of 0 allows for the "
    "instance bucket that the specified instance type belongs to.",
)


def _run_instances(c: Ctx, kind: str) -> dict[str, Any]:
    image = "ami-0%016x" % c.rng.getrandbits(64)
    instance = "i-0%016x" % c.rng.getrandbits(64)
    items = [{"imageId": image, "minCount": 1, "maxCount": 10}]
    return {
        "req": {
            "instancesSet": {"items": items},
            "instanceType": kind,
            "blockDeviceMapping": {},
            "monitoring": {"enabled": False},
            "disableApiTermination": False,
            "clientToken": "%032x" % c.rng.getrandbits(128),
        },
        "resp": {"instancesSet": {"items": [{"instanceId": instance, "instanceType": kind}]}},
    }


@technique(
    "aws.execution.ssm-send-command",
    "Run commands on instances with SSM",
    calls=("DescribeInstanceInformation", "SendCommand"),
    findings=(EXECUTION, "Execution:SSM/CloudAdministrationCommand"),
)
def ssm_send_command(c: Ctx) -> None:
    """``AWS-RunShellScript`` on every managed instance."""
    c.recon()
    c.call("DescribeInstanceInformation", req={"maxResults": 50})
    c.call(
        "SendCommand",
        req={
            "instanceIds": list(c.res.instances[:3]),
            "documentName": "AWS-RunShellScript",
            "parameters": "HIDDEN_DUE_TO_SECURITY_REASONS",
            "interactive": False,
        },
    )
    c.call("ListCommands", req={"maxResults": 10})


@technique(
    "aws.execution.ssm-start-session",
    "Open SSM sessions on instances",
    calls=("StartSession",),
    findings=(EXECUTION, "Execution:SSM/CloudAdministrationCommand"),
)
def ssm_start_session(c: Ctx) -> None:
    """Interactive shells through Session Manager."""
    c.recon()
    c.call("DescribeInstanceInformation", req={"maxResults": 50})
    for instance in c.res.instances[: 3 if c.loud else 1]:
        session = f"{c.ident.name[:20]}-{c.rng.getrandbits(64):017x}"
        c.call(
            "StartSession",
            req={"target": instance},
            resp={
                "sessionId": session,
                "tokenValue": "Value hidden due to security reasons.",
                "streamUrl": f"wss://ssmmessages.{c.region}.amazonaws.com/v1/data-channel/"
                f"{session}?role=publish_subscribe",
            },
        )
