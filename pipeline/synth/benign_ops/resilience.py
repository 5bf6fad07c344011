"""Planned disruption: a restore drill, a database maintenance window, a chaos game day."""

from __future__ import annotations

from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.benign_ops.kit import (
    at_local,
    hex_id,
    on_a_workday,
    on_behalf,
    poll,
    sign_in,
    today,
    with_write_access,
)
from trailguard.pipeline.synth.identities import Identity, assumed_role
from trailguard.pipeline.synth.scenario import Ctx, technique

BACKUP = "backup.amazonaws.com"
FIS = "fis.amazonaws.com"


@technique(
    "tg.ops.backup-restore-drill",
    "A quarterly backup restore and disaster-recovery drill",
    calls=("StartRestoreJob", "CreateVolume", "CopyImage", "DeleteDBInstance"),
    victims=("human",),
    kind="hard_negative",
)
def backup_drill(c: Ctx) -> None:
    """The quarterly restore test: an engineer reads the backup vault's recovery points, takes
    an on-demand backup, restores a volume and the database from last night's points (AWS
    Backup's service role does the EC2 and RDS work, from backup.amazonaws.com), attaches the
    volume to a test instance (refused once while it is still being created), copies the
    application's AMI and a snapshot to the recovery region, then removes what the drill made
    (the database refused once while it is still being restored)."""
    with_write_access(c)
    on_a_workday(c, (9.5, 12))
    c.ua = c.victim.browser or net.BROWSERS[0]
    sign_in(c)
    role = assumed_role(
        c.rng,
        c.account,
        "AWSBackupDefaultServiceRole",
        "AWSBackup-AWSBackupDefaultServiceRole",
        path="/service-role/",
    )
    vault = {"backupVaultName": "Default"}
    c.call("ListBackupVaults", console=True, req={"maxResults": 100})
    c.call("ListRecoveryPointsByBackupVault", console=True, req=vault, gap=(5, 30))
    c.call("DescribeRecoveryPoint", console=True, req=vault, gap=(5, 30))
    _on_demand_backup(c, role)
    volume = _restore(c, role, "EBS")
    test_instance = c.res.instances[-1]
    attach = {"volumeId": volume, "instanceId": test_instance, "device": "/dev/sdf"}
    still_creating = ("IncorrectState", f"{volume} is not 'available'.")
    c.call("AttachVolume", console=True, req=attach, error=still_creating, gap=(5, 30))
    c.call("DescribeVolumes", console=True, req={"volumeSet": {"items": [{"volumeId": volume}]}})
    c.call("AttachVolume", console=True, req=attach, gap=(60, 180))
    database = _restore(c, role, "RDS")
    _copy_to_recovery_region(c)
    _tear_down(c, volume, database)


def _on_demand_backup(c: Ctx, role: Identity) -> None:
    """An on-demand backup of one volume: Backup's role snapshots it while the console waits."""
    volume = hex_id(c, "vol")
    job = c.fac.uuid().upper()
    req = {
        "backupVaultName": "Default",
        "resourceArn": f"arn:aws:ec2:{c.region}:{c.account}:volume/{volume}",
        "iamRoleArn": (role.issuer or {})["arn"],
        "idempotencyToken": c.fac.uuid(),
        "startWindowMinutes": 60,
    }
    c.call("StartBackupJob", console=True, req=req, resp={"backupJobId": job}, gap=(30, 120))
    snapshot = {
        "volumeId": volume,
        "description": "This snapshot is created by the AWS Backup service.",
    }
    on_behalf(c, BACKUP, "CreateSnapshot", who=role, req=snapshot, gap=(5, 40))
    on_behalf(c, BACKUP, "CreateTags", who=role, gap=(0.5, 3))
    poll(
        c,
        "DescribeBackupJob",
        c.rng.randint(3, 6),
        (20, 60),
        console=True,
        req={"backupJobId": job},
    )


def _restore(c: Ctx, role: Identity, kind: str) -> str:
    """Restore one recovery point (``EBS`` or ``RDS``); the restored resource's id."""
    point = f"arn:aws:ec2:{c.region}::snapshot/{hex_id(c, 'snap')}"
    if kind == "RDS":
        point = f"arn:aws:rds:{c.region}:{c.account}:snapshot:awsbackup:job-{c.fac.uuid()}"
    c.call("GetRecoveryPointRestoreMetadata", console=True, req={"recoveryPointArn": point})
    job = c.fac.uuid().upper()
    req = {
        "recoveryPointArn": point,
        "iamRoleArn": (role.issuer or {})["arn"],
        "resourceType": kind,
        "idempotencyToken": c.fac.uuid(),
    }
    c.call("StartRestoreJob", console=True, req=req, resp={"restoreJobId": job}, gap=(30, 180))
    if kind == "EBS":
        restored = hex_id(c, "vol")
        create: dict[str, Any] = {
            "snapshotId": point.rsplit("/", 1)[1],
            "zone": f"{c.region}a",
            "volumeType": "gp3",
            "encrypted": True,
        }
        on_behalf(c, BACKUP, "CreateVolume", who=role, req=create, gap=(2, 10))
    else:
        restored = f"{c.res.stacks[0]}-db-restore-test"
        create = {
            "dBInstanceIdentifier": restored,
            "dBSnapshotIdentifier": point,
            "dBInstanceClass": "db.t3.medium",
            "multiAZ": False,
            "publiclyAccessible": False,
        }
        on_behalf(c, BACKUP, "RestoreDBInstanceFromDBSnapshot", who=role, req=create, gap=(2, 10))
    poll(
        c,
        "DescribeRestoreJob",
        c.rng.randint(2, 5),
        (20, 90),
        console=True,
        req={"restoreJobId": job},
    )
    return restored


def _copy_to_recovery_region(c: Ctx) -> None:
    """The application's AMI and a data snapshot copied to the recovery region (the copy is
    asked for in the region it goes to, as EC2 wants)."""
    recovery = next(r for r in c.place.all_regions if r != c.region)
    image, snapshot = hex_id(c, "ami"), hex_id(c, "snap")
    copy = {
        "sourceRegion": c.region,
        "sourceImageId": image,
        "name": f"{c.res.stacks[0]}-app-dr-{today(c)}",
        "encrypted": True,
    }
    c.call("CopyImage", region=recovery, console=True, req=copy, gap=(60, 300))
    copy = {"sourceRegion": c.region, "sourceSnapshotId": snapshot, "encrypted": True}
    c.call("CopySnapshot", region=recovery, console=True, req=copy, gap=(20, 90))
    mine = {"ownersSet": {"items": [{"owner": "self"}]}}
    poll(
        c, "DescribeImages", c.rng.randint(2, 4), (60, 240), region=recovery, console=True, req=mine
    )


def _tear_down(c: Ctx, volume: str, database: str) -> None:
    """What the drill made, removed; the database once too early."""
    c.call("DescribeDBInstances", console=True, req={"dBInstanceIdentifier": database})
    remove = {"dBInstanceIdentifier": database, "skipFinalSnapshot": True}
    busy = ("InvalidDBInstanceState", f"Instance {database} is not in available state.")
    c.call("DeleteDBInstance", console=True, req=remove, error=busy, gap=(10, 60))
    poll(c, "DescribeDBInstances", c.rng.randint(3, 6), (60, 300), console=True, req=remove)
    c.call("DeleteDBInstance", console=True, req={**remove, "deleteAutomatedBackups": True})
    c.call("DetachVolume", console=True, req={"volumeId": volume}, gap=(30, 120))
    c.call("DeleteVolume", console=True, req={"volumeId": volume}, gap=(30, 120))


@technique(
    "tg.ops.dba-maintenance-window",
    "A database administrator's night in a maintenance window",
    calls=("CreateDBSnapshot", "ModifyDBParameterGroup", "ModifyDBInstance", "RebootDBInstance"),
    victims=("human",),
    kind="hard_negative",
)
def dba_window(c: Ctx) -> None:
    """The announced window after 23:00 local time: the DBA reads the instance, its pending
    maintenance and parameters, takes a manual snapshot, tries the resize too early (refused
    while the snapshot runs), changes two parameters, resizes with ApplyImmediately, reboots
    for the static one, and polls status, events and metrics for half an hour until the
    database is back; a major version upgrade is looked at and left for another night."""
    with_write_access(c)
    c.t = at_local(c, c.day_start, 0, c.rng.uniform(23.0, 23.5))
    c.ip = c.victim.ips[-1]  # from home, at that hour
    database = f"{c.res.stacks[1]}-db"
    group = f"{c.res.stacks[1]}-postgres15"
    one: dict[str, Any] = {"dBInstanceIdentifier": database}
    for name, req in (
        ("DescribeDBInstances", one),
        ("DescribePendingMaintenanceActions", {"resourceIdentifier": _db_arn(c, database)}),
        ("DescribeDBParameterGroups", {"dBParameterGroupName": group}),
        ("DescribeDBParameters", {"dBParameterGroupName": group, "source": "user"}),
    ):
        c.call(name, req=req, gap=(5, 60))
    snapshot = f"{database}-pre-maintenance-{today(c)}"
    c.call("CreateDBSnapshot", req={**one, "dBSnapshotIdentifier": snapshot}, gap=(20, 120))
    size = c.rng.choice(("db.r6g.2xlarge", "db.r6g.4xlarge"))
    resize = {**one, "dBInstanceClass": size, "applyImmediately": True}
    busy = ("InvalidDBInstanceState", f"Instance {database} is not in available state.")
    c.call("ModifyDBInstance", req=resize, error=busy, gap=(30, 120))
    mine = {"dBSnapshotIdentifier": snapshot}
    poll(c, "DescribeDBSnapshots", c.rng.randint(4, 10), (30, 75), req=mine)
    c.call("ModifyDBParameterGroup", req=_parameters(group), gap=(20, 90))
    pending = {"dBInstanceClass": size}
    c.call("ModifyDBInstance", req=resize, resp={**one, "pendingModifiedValues": pending})
    _watch(c, one, c.rng.randint(10, 20))
    c.call("RebootDBInstance", req={**one, "forceFailover": False}, gap=(60, 180))
    _watch(c, one, c.rng.randint(6, 14))
    versions = {"engine": "postgres", "engineVersion": "15.8", "includeAll": False}
    c.call("DescribeDBEngineVersions", req=versions, gap=(60, 300))


def _watch(c: Ctx, one: dict[str, Any], times: int) -> None:
    """The DBA's loop while the instance changes: status every half minute, events, metrics."""
    for k in range(times):
        c.call("DescribeDBInstances", req=one, gap=(20, 45))
        if k % 4 == 3:
            events = {"sourceIdentifier": one["dBInstanceIdentifier"], "duration": 60}
            c.call("DescribeEvents", source="rds", req={**events, "sourceType": "db-instance"})
            c.call("GetMetricData", gap=(2, 10))


def _parameters(group: str) -> dict[str, Any]:
    return {
        "dBParameterGroupName": group,
        "parameters": [
            _parameter("max_connections", "800", "pending-reboot"),  # static: needs the reboot
            _parameter("work_mem", "16384", "immediate"),
        ],
    }


def _parameter(name: str, value: str, apply: str) -> dict[str, str]:
    return {"parameterName": name, "parameterValue": value, "applyMethod": apply}


def _db_arn(c: Ctx, database: str) -> str:
    return f"arn:aws:rds:{c.region}:{c.account}:db:{database}"


@technique(
    "tg.ops.fis-game-day",
    "A chaos-engineering game day with AWS Fault Injection Service",
    calls=("CreateExperimentTemplate", "StartExperiment", "StopInstances", "SendCommand"),
    victims=("human",),
    kind="hard_negative",
)
def game_day(c: Ctx) -> None:
    """A scheduled game day: an engineer writes an experiment template and starts it; FIS,
    through its experiment role (session named after the experiment, calls from
    fis.amazonaws.com), stops a third of the service's instances and starts them ten minutes
    later while the team watches alarms and the load balancer; a second experiment runs
    AWS's CPU-stress SSM document on the others and is stopped early by hand."""
    with_write_access(c)
    on_a_workday(c, (10, 14))
    c.ua = c.victim.browser or net.BROWSERS[0]
    sign_in(c)
    role_arn = f"arn:aws:iam::{c.account}:role/service-role/FISExperimentRole-{c.res.stacks[0]}"
    instances = list(c.res.instances[:3])
    c.call("ListExperimentTemplates", console=True, req={"maxResults": 50})
    stop = _template(
        c, role_arn, "aws:ec2:stop-instances", {"startInstancesAfterDuration": "PT10M"}
    )
    role = _experiment(c, stop, role_arn)
    one_by_one = {"instancesSet": {"items": [{"instanceId": i} for i in instances]}}
    on_behalf(c, FIS, "DescribeInstances", who=role, req=one_by_one, gap=(1, 5))
    on_behalf(c, FIS, "StopInstances", who=role, req={**one_by_one, "force": False}, gap=(1, 5))
    _watch_experiment(c, c.rng.randint(8, 14))
    on_behalf(c, FIS, "StartInstances", who=role, req=one_by_one, gap=(30, 90))
    _watch_experiment(c, c.rng.randint(3, 6))
    stress = {"documentArn": f"arn:aws:ssm:{c.region}::document/AWSFIS-Run-CPU-Stress"}
    stress["documentParameters"] = '{"DurationSeconds":"600","CPU":"0"}'
    cpu = _template(c, role_arn, "aws:ssm:send-command", stress)
    role = _experiment(c, cpu, role_arn)
    command = {
        "instanceIds": list(c.res.instances[3:5]),
        "documentName": "AWSFIS-Run-CPU-Stress",
        "parameters": {"DurationSeconds": ["600"], "CPU": ["0"]},
    }
    command_id = c.fac.uuid()
    sent = {"command": {"commandId": command_id}}
    on_behalf(c, FIS, "SendCommand", who=role, req=command, resp=sent)
    _watch_experiment(c, c.rng.randint(3, 6))
    c.call("StopExperiment", console=True, req={"id": role.session_name}, gap=(20, 90))
    on_behalf(c, FIS, "CancelCommand", who=role, req={"commandId": command_id}, gap=(1, 5))


def _template(c: Ctx, role_arn: str, action: str, parameters: dict[str, str]) -> str:
    """A new experiment template with an alarm as its stop condition; its id."""
    template = _fis_id(c, "EXT")
    targets = {"targets": {"resourceType": "aws:ec2:instance", "selectionMode": "PERCENT(30)"}}
    alarm = f"arn:aws:cloudwatch:{c.region}:{c.account}:alarm:{c.res.stacks[0]}-5xx-rate"
    req = {
        "description": f"game day: {action}",
        "targets": targets,
        "actions": {"fault": {"actionId": action, "parameters": parameters}},
        "stopConditions": [{"source": "aws:cloudwatch:alarm", "value": alarm}],
        "roleArn": role_arn,
        "clientToken": c.fac.uuid(),
    }
    resp = {"experimentTemplate": {"id": template}}
    c.call("CreateExperimentTemplate", console=True, req=req, resp=resp, gap=(120, 600))
    return template


def _experiment(c: Ctx, template: str, role_arn: str) -> Identity:
    """Start an experiment from ``template``; the role session FIS acts through."""
    experiment = _fis_id(c, "EXP")
    req = {"experimentTemplateId": template, "clientToken": c.fac.uuid()}
    resp = {"experiment": {"id": experiment, "state": {"status": "initiating"}}}
    c.call("StartExperiment", console=True, req=req, resp=resp, gap=(30, 180))
    role = role_arn.rsplit("/", 1)[1]
    return assumed_role(c.rng, c.account, role, experiment, path="/service-role/")


_FIS_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def _fis_id(c: Ctx, prefix: str) -> str:
    """A template (``EXT…``) or experiment (``EXP…``) id."""
    return prefix + "".join(c.rng.choices(_FIS_CHARS, k=14))


def _watch_experiment(c: Ctx, times: int) -> None:
    """The team's screens during an experiment: its state, the alarms, the targets' health."""
    for _ in range(times):
        name = c.rng.choice(("GetExperiment", "DescribeAlarms", "DescribeTargetHealth"))
        c.call(name, console=True, gap=(10, 60))
        if name == "DescribeAlarms":
            c.call("GetMetricData", console=True, gap=(1, 4))
