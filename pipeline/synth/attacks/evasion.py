"""Defence evasion: blind the trail, the detector or the organisation."""

from __future__ import annotations

from trailguard.pipeline.synth.scenario import Ctx, technique

LOGGING_OFF = "Stealth:IAMUser/CloudTrailLoggingDisabled"
EVASION = "DefenseEvasion:IAMUser/AnomalousBehavior"


def _trail_arn(c: Ctx) -> str:
    return f"arn:aws:cloudtrail:us-east-1:{c.account}:trail/org-trail"


def _look_at_trails(c: Ctx) -> None:
    c.recon()
    c.call("DescribeTrails", req={"includeShadowTrails": True})
    c.call("GetTrailStatus", req={"name": _trail_arn(c)})


@technique(
    "aws.defense-evasion.cloudtrail-stop",
    "Stop CloudTrail trail",
    calls=("StopLogging",),
    findings=(LOGGING_OFF,),
)
def cloudtrail_stop(c: Ctx) -> None:
    """Stop the organisation trail (logging stays configured, nothing is recorded)."""
    _look_at_trails(c)
    if c.loud:
        c.call(
            "StopLogging",
            req={"name": "org-trail"},
            region=c.rng.choice(c.place.all_regions),
            error=c.deny("StopLogging", _trail_arn(c)),
        )
    c.call("StopLogging", req={"name": _trail_arn(c)}, region="us-east-1")


@technique(
    "aws.defense-evasion.cloudtrail-delete",
    "Delete CloudTrail trail",
    calls=("DeleteTrail",),
    findings=(LOGGING_OFF,),
)
def cloudtrail_delete(c: Ctx) -> None:
    """Delete the trail outright."""
    _look_at_trails(c)
    c.call("DeleteTrail", req={"name": _trail_arn(c)}, region="us-east-1")


@technique(
    "aws.defense-evasion.cloudtrail-event-selectors",
    "Disable CloudTrail logging through event selectors",
    calls=("GetEventSelectors", "PutEventSelectors"),
    findings=(EVASION, "Stealth:IAMUser/CloudTrailLoggingDisabled"),
)
def cloudtrail_event_selectors(c: Ctx) -> None:
    """Keep the trail on but exclude management events from it."""
    _look_at_trails(c)
    c.call("GetEventSelectors", req={"trailName": _trail_arn(c)}, region="us-east-1")
    selectors = [
        {
            "readWriteType": "ReadOnly",
            "includeManagementEvents": False,
            "dataResources": [],
            "excludeManagementEventSources": [],
        }
    ]
    c.call(
        "PutEventSelectors",
        req={"trailName": _trail_arn(c), "eventSelectors": selectors},
        resp={"trailARN": _trail_arn(c), "eventSelectors": selectors},
        region="us-east-1",
    )


@technique(
    "tg.defense-evasion.guardduty-delete-detector",
    "Delete the GuardDuty detector",
    calls=("ListDetectors", "DeleteDetector"),
    findings=(EVASION, "DefenseImpairment:GuardDuty/DisableOrModifyTools"),
)
def guardduty_delete(c: Ctx) -> None:
    """Find the region's GuardDuty detector and delete it."""
    c.recon()
    detector = "%032x" % c.rng.getrandbits(128)
    c.call("ListDetectors", resp={"detectorIds": [detector]})
    c.call("GetDetector", req={"detectorId": detector})
    c.call("DeleteDetector", req={"detectorId": detector})


@technique(
    "aws.defense-evasion.vpc-remove-flow-logs",
    "Remove VPC flow logs",
    calls=("DescribeFlowLogs", "DeleteFlowLogs"),
    findings=(EVASION, "DefenseImpairment:EC2/DisableOrModifyTools"),
)
def remove_flow_logs(c: Ctx) -> None:
    """Delete the VPC's flow logs."""
    c.recon()
    flow = "fl-%017x" % c.rng.getrandbits(68)
    c.call("DescribeFlowLogs", req={"filterSet": {}})
    c.call(
        "DeleteFlowLogs",
        req={"DeleteFlowLogsRequest": {"FlowLogId": {"content": flow, "tag": 1}}},
        resp={"DeleteFlowLogsResponse": {"unsuccessful": ""}},
    )


@technique(
    "aws.defense-evasion.organizations-leave",
    "Attempt to leave the organisation",
    calls=("DescribeOrganization", "LeaveOrganization"),
    findings=(EVASION, "DefenseImpairment:Organizations/ModifyCloudResourceHierarchy"),
)
def leave_organization(c: Ctx) -> None:
    """Try to take the account out of the organisation (and its SCPs); usually denied."""
    c.recon()
    c.call("DescribeOrganization")
    c.call("LeaveOrganization", error=c.deny("LeaveOrganization") if c.loud else None)
