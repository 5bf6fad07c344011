"""An EC2 instance's (or another workload's) role enumerating the account (Stratus
`ec2-enumerate-from-instance`).

A workload calls the few APIs of its job. Who am I, which users, roles and policies exist, which
buckets, trails, detectors and snapshots there are: five of these account-level questions within
ten minutes from a workload's credentials is someone at its shell looking around. Security
scanners running on an instance do the same: suppress them by role.
"""

from __future__ import annotations

from datetime import timedelta

from trailguard.models.registry import threshold_rule
from trailguard.models.rules.base import Event, RuleContext, where

RECON_APIS = (
    "GetAccountSummary",
    "GetAccountAuthorizationDetails",
    "ListUsers",
    "ListRoles",
    "ListPolicies",
    "ListGroups",
    "ListAccessKeys",
    "ListBuckets",
    "DescribeTrails",
    "ListDetectors",
    "DescribeSnapshots",
    "DescribeOrganization",
    "ListAccounts",
)


def _describe(event: Event) -> str:
    return f"Workload {event.principal} enumerated the account's IAM and services{where(event)}"


@threshold_rule(
    finding_type="Discovery:IAM/CloudAccount",
    severity=5.0,
    title="Account enumerated from a workload's credentials",
    event_names=RECON_APIS,
    window=timedelta(minutes=10),
    count=5,
    workloads_only=True,
    attack=("T1087.004", "T1580"),
    stratus=("aws.discovery.ec2-enumerate-from-instance",),
    describe=_describe,
)
def instance_enumeration(event: Event, context: RuleContext) -> list[str]:
    """The discovery API a workload's session called (granted or denied)."""
    return [event.name]
