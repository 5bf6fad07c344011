"""Detection from the first hour (issue 17): a lake holding only an incident's own logs, no
history, no model. A leaked key's sweep is High in its first hour, a quiet pivot from a VPN is
Medium, and the first hour of an ordinary CI role or person raises nothing at Medium or more."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.unit.features.lakes import START, make_lake
from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import Finding

ACCOUNT = "111122223333"
VPS_IP = "178.128.15.6"  # DigitalOcean
VPN_IP = "146.70.228.69"  # M247, the carrier of many commercial VPN exits
HOME_IP = "73.252.10.20"  # Comcast
CI_IP = "20.102.216.130"  # GitHub Actions runners (Azure)
GO_SDK = "aws-sdk-go/1.44.0 (go1.20; linux; amd64)"
# ~90 services an enumeration script walks through, each asked a few read-only questions.
SERVICES = (  # noqa: SIM905 (a list literal of 90 names would take 90 lines)
    "acm apigateway appsync athena autoscaling backup batch bedrock budgets ce cloud9 "
    "cloudformation cloudfront cloudhsm cloudsearch cloudtrail codebuild codecommit codedeploy "
    "codepipeline cognito-idp comprehend config connect datapipeline datasync dax detective "
    "devicefarm directconnect dms docdb ds dynamodb ecr ecs efs eks elasticache elasticbeanstalk "
    "elasticloadbalancing emr es events firehose fsx glacier glue guardduty health inspector iot "
    "kafka kinesis kms lakeformation lightsail logs macie2 mediaconvert mq neptune opsworks "
    "organizations pinpoint polly qldb ram rds redshift rekognition route53 sagemaker "
    "securityhub servicecatalog ses shield sns sqs ssm sso states storagegateway swf transfer "
    "waf wafv2 workspaces xray"
).split()
VERBS = (
    "ListResources",
    "DescribeAccount",
    "GetConfiguration",
    "ListTags",
    "DescribeLimits",
    "GetPolicy",
)


def _user(name: str) -> dict[str, Any]:
    return {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLETEMPUSER",
        "arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAEXAMPLELEAKED001",
        "userName": name,
    }


def _call(
    identity: dict[str, Any], second: int, service: str, name: str, **extra: Any
) -> dict[str, Any]:
    """A call `second` seconds into the lake's first hour (08:00)."""
    moment = START.replace(hour=8).timestamp() + second
    return cloudtrail_event(
        eventTime=f"{datetime.fromtimestamp(moment, UTC):%Y-%m-%dT%H:%M:%SZ}",
        userIdentity=identity,
        eventSource=f"{service}.amazonaws.com",
        eventName=name,
        **extra,
    )


def leaked_key_sweep(source_ip: str = VPS_IP) -> list[dict[str, Any]]:
    """temp-user's key: GetCallerIdentity, ~520 calls over ~90 services in 50 minutes, 97 %
    denied, then AssumeRole into an admin role and a read of a file from S3."""
    rng = random.Random(17)
    user = _user("temp-user")
    calls = [("sts", "GetCallerIdentity", None)]
    allowed = [("iam", "ListUsers"), ("iam", "ListRoles"), ("s3", "ListBuckets")]
    calls += [(s, n, None) for s, n in allowed]
    enumeration = [
        ("iam", "ListPolicies"), ("iam", "GetAccountAuthorizationDetails"),
        ("s3", "GetBucketAcl"), ("s3", "GetBucketPolicy"),
        ("ec2", "DescribeInstances"), ("ec2", "DescribeVpcs"), ("ec2", "DescribeSnapshots"),
        ("secretsmanager", "ListSecrets"), ("secretsmanager", "GetSecretValue"),
    ]  # fmt: skip
    denied = enumeration + [(s, f"{v}{i}") for s in SERVICES for i, v in enumerate(VERBS)]
    calls += [(s, n, "AccessDenied") for s, n in denied][:505]
    calls += [(s, n, None) for s, n in allowed * 3]  # a few retries that work
    records = []
    for k, (service, name, error) in enumerate(calls):
        extra: dict[str, Any] = {"errorCode": error, "errorMessage": "not authorized"}
        if error is None:
            extra = {}
        second = k * 3000 // len(calls) + rng.randint(0, 2)
        records.append(
            _call(user, second, service, name, sourceIPAddress=source_ip, userAgent=GO_SDK, **extra)
        )
    admin = assumed_role_identity("OrganizationAccountAccessRole", "temp-user", ACCOUNT)
    records.append(
        _call(user, 3010, "sts", "AssumeRole", sourceIPAddress=source_ip, userAgent=GO_SDK)
    )
    records.append(
        _call(
            admin,
            3050,
            "s3",
            "GetObject",
            sourceIPAddress=source_ip,
            userAgent=GO_SDK,
            eventCategory="Data",
            managementEvent=False,
            requestParameters={"bucketName": "finance-exports", "key": "payroll-2026.csv"},
        )
    )
    return records


def quiet_pivot() -> list[dict[str, Any]]:
    """report-bot's key from a VPN: who am I, five AssumeRole calls, then the role reads a
    confidential object twice (9 + 2 events)."""
    user = _user("report-bot")
    names = ["GetCallerIdentity", "ListRoles", "AssumeRole", "AssumeRole", "AssumeRole"]
    names += ["AssumeRole", "AssumeRole", "GetCallerIdentity", "ListAttachedUserPolicies"]
    agent = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22"
    service = {"ListRoles": "iam", "ListAttachedUserPolicies": "iam"}
    records = [
        _call(user, 60 * k, service.get(n, "sts"), n, sourceIPAddress=VPN_IP, userAgent=agent)
        for k, n in enumerate(names)
    ]
    role = assumed_role_identity("data-reader", "report-bot", ACCOUNT)
    records += [
        _call(
            role,
            600 + 30 * k,
            "s3",
            "GetObject",
            sourceIPAddress=VPN_IP,
            userAgent=agent,
            eventCategory="Data",
            managementEvent=False,
            requestParameters={"bucketName": "confidential-hr", "key": f"reviews/{k}.pdf"},
        )
        for k in range(2)
    ]
    return records


def benign_first_hour() -> list[dict[str, Any]]:
    """A CI role's first deployment (terraform from GitHub's runners: many reads over many
    services, a few creations) and an engineer's first console hour with two AccessDenied."""
    ci = assumed_role_identity("github-actions-deploy", "GitHubActions", ACCOUNT)
    terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) aws-sdk-go/1.51"
    reads = [
        (s, n)
        for s, names in {
            "ec2": [
                "DescribeVpcs",
                "DescribeSubnets",
                "DescribeSecurityGroups",
                "DescribeRouteTables",
            ],
            "iam": ["GetRole", "ListAttachedRolePolicies", "GetPolicy", "ListRolePolicies"],
            "s3": ["GetBucketPolicy", "GetBucketAcl", "GetBucketVersioning", "GetBucketTagging"],
            "lambda": ["GetFunction", "ListVersionsByFunction", "GetPolicy20150331v2"],
            "logs": ["DescribeLogGroups", "ListTagsLogGroup"],
            "sqs": ["GetQueueAttributes", "ListQueueTags"],
            "sns": ["GetTopicAttributes", "ListTagsForResource"],
            "dynamodb": ["DescribeTable", "DescribeContinuousBackups", "ListTagsOfResource"],
            "kms": ["DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus"],
            "cloudwatch": ["DescribeAlarms", "ListTagsForResource"],
            "ecr": ["DescribeRepositories", "GetLifecyclePolicy"],
        }.items()
        for n in names
    ]
    writes = [
        ("iam", "CreateRole"),
        ("iam", "AttachRolePolicy"),
        ("lambda", "CreateFunction20150331"),
    ]
    records = [
        _call(ci, 40 * k, s, n, sourceIPAddress=CI_IP, userAgent=terraform)
        for k, (s, n) in enumerate(reads * 2 + writes)
    ]
    person = assumed_role_identity(
        "AWSReservedSSO_Developer_0123456789abcdef", "dana@example.com", ACCOUNT
    )
    console = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"
    for k in range(30):
        service, name = [
            ("ec2", "DescribeInstances"),
            ("s3", "ListBuckets"),
            ("logs", "GetLogEvents"),
        ][k % 3]
        extra: dict[str, Any] = {}
        if k in (7, 19):
            service, name = "iam", "ListUsers"
            extra = {"errorCode": "AccessDenied", "errorMessage": "not authorized"}
        records.append(
            _call(
                person, 90 * k, service, name, sourceIPAddress=HOME_IP, userAgent=console, **extra
            )
        )
    return records


def _detect(tmp: Path, records: list[dict[str, Any]]) -> list[Finding]:
    lake = make_lake(tmp, records)
    build_features(lake)
    stats = run_detection(lake)
    return [f for f in stats.findings if f.status == "active"]


def _of(findings: list[Finding], principal_tail: str) -> list[Finding]:
    return [f for f in findings if f.principal.endswith(principal_tail) and f.severity >= 4.0]


@pytest.mark.parametrize("source_ip", [VPS_IP, HOME_IP], ids=["from-vps", "from-home"])
def test_leaked_key_sweep_is_high_in_its_first_hour(tmp_path: Path, source_ip: str) -> None:
    findings = _detect(tmp_path, leaked_key_sweep(source_ip))
    (found,) = [f for f in _of(findings, "user/temp-user") if f.detector == "cold_start"]
    assert found.severity >= 7.0
    assert found.type == "Discovery:IAMUser/EnumerationSweep"
    assert found.first_seen < START.replace(hour=9)
    text = found.description
    assert text.startswith("APIs commonly used in discovery were invoked by user temp-user: ")
    assert "distinct APIs in 50 minutes" in text and "97 % denied" in text
    assert "T1580" in found.evidence.extra["attack"]
    if source_ip == VPS_IP:
        assert "from DIGITALOCEAN-ASN, a network never seen in this organisation" in text


def test_quiet_pivot_from_a_vpn_is_medium(tmp_path: Path) -> None:
    findings = _detect(tmp_path, quiet_pivot())
    (found,) = _of(findings, "user/report-bot")
    assert 4.0 <= found.severity < 7.0
    assert found.type == "UnauthorizedAccess:IAMUser/HostingProviderCaller"
    assert "VPN or anonymising network" in found.description
    assert "5 AssumeRole calls" in found.description
    assert set(found.evidence.extra["signals"]) == {"hosting_network", "role_hop"}


def test_benign_first_hour_raises_nothing(tmp_path: Path) -> None:
    findings = _detect(tmp_path, benign_first_hour())
    assert [f for f in findings if f.severity >= 4.0] == []
