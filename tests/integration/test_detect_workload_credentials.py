"""A workload's role credentials used from outside AWS (GuardDuty's
`InstanceCredentialExfiltration.OutsideAWS`): which sessions are a workload's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.unit.features.lakes import FOREIGN_IP, at, make_lake
from trailguard.pipeline.detect.detect import run_detection

INSIDE_AWS = "44.224.250.83"  # an EC2 address in us-west-2
JAVA_SDK = "aws-sdk-java/2.25.4 Linux/5.10.224-212.876.amzn2.x86_64 Java/21.0.4"
TASK_ID = "e220dfe85d1c9685574f0577d9106721"  # ECS names a task role's session after the task


def _calls(session: str, ip: str, day: int) -> list[dict[str, Any]]:
    identity = assumed_role_identity(role="profile-task-role", session=session)
    return [
        cloudtrail_event(
            eventTime=at(day, hour),
            eventSource="s3.amazonaws.com",
            eventName="GetObject",
            userIdentity=identity,
            userAgent=JAVA_SDK,
            sourceIPAddress=ip,
        )
        for hour in range(9, 12)
    ]


@pytest.mark.parametrize(
    ("session", "raised"),
    [(TASK_ID, True), ("deploy-session", False)],
    ids=["ecs-task-session", "named-session"],
)
def test_an_ecs_task_roles_credentials_used_from_outside_aws_are_found(
    tmp_path: Path, session: str, raised: bool
) -> None:
    # The task's own calls come from inside AWS; then the same session calls from a VPS.
    records = _calls(session, INSIDE_AWS, 0) + _calls(session, FOREIGN_IP, 1)
    lake = make_lake(tmp_path, records)

    found = run_detection(lake, sigma=()).findings

    stolen = [f for f in found if f.detector == "rules.instance_credentials_outside_aws"]
    assert bool(stolen) is raised
    if raised:
        assert stolen[0].type.endswith("InstanceCredentialExfiltration.OutsideAWS")
        assert stolen[0].evidence.source_ips == (FOREIGN_IP,)
