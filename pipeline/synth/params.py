"""Request parameters and response elements of benign calls, over each account's resources.

Only calls whose parameters carry signal (which bucket, which secret, which function) get a
builder; the rest keep ``null``, as many real list calls do.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from trailguard.pipeline.synth.identities import aws_id

T = TypeVar("T")
JSON = dict[str, Any]
Built = tuple[JSON | None, JSON | None, list[dict[str, str]] | None]


@dataclass(frozen=True)
class Resources:
    """The named things of one account that calls refer to."""

    account: str
    buckets: tuple[str, ...]
    functions: tuple[str, ...]
    secrets: tuple[str, ...]
    parameters: tuple[str, ...]
    instances: tuple[str, ...]
    tables: tuple[str, ...]
    key_id: str
    log_groups: tuple[str, ...]
    stacks: tuple[str, ...]
    repositories: tuple[str, ...]
    clusters: tuple[str, ...]
    users: tuple[str, ...]
    roles: tuple[str, ...]


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` without its bounds-checked integer draw: it runs for most records."""
    return items[int(rng.random() * len(items))]


_SERVICES = (
    "orders",
    "billing",
    "catalog",
    "auth",
    "search",
    "ledger",
    "notify",
    "reports",
    "ingest",
    "pricing",
    "media",
    "profile",
)


def make_resources(rng: random.Random, account: str, env: str) -> Resources:
    """Invent an account's resources, named like a real team names them."""
    svcs = tuple(rng.sample(_SERVICES, 6))
    return Resources(
        account=account,
        buckets=tuple(f"{env}-{s}-{account[-4:]}" for s in svcs[:4]),
        functions=tuple(f"{env}-{s}-{part}" for s in svcs for part in ("api", "worker")),
        secrets=tuple(f"{env}/{s}/db-credentials" for s in svcs[:4]),
        parameters=tuple(f"/{env}/{s}/config" for s in svcs),
        instances=tuple("i-0%016x" % rng.getrandbits(64) for _ in range(5)),
        tables=tuple(f"{env}-{s}" for s in svcs[:3]),
        key_id="%08x-%04x-4%03x-8%03x-%012x"
        % tuple(rng.getrandbits(b) for b in (32, 16, 12, 12, 48)),
        log_groups=tuple(f"/aws/lambda/{env}-{s}-api" for s in svcs),
        stacks=tuple(f"{env}-{s}" for s in svcs),
        repositories=tuple(f"{env}/{s}" for s in svcs[:4]),
        clusters=(f"{env}-cluster",),
        users=tuple(f"svc-{s}" for s in svcs[:2]),
        roles=tuple(f"{env}-{s}-role" for s in svcs),
    )


def _s3_object(rng: random.Random, res: Resources, region: str) -> Built:
    bucket = pick(rng, res.buckets)
    key = f"data/{2020 + int(rng.random() * 7)}/{rng.getrandbits(40):010x}.json"
    req = {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com", "key": key}
    resources = [
        {"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::{bucket}/{key}"},
        {"accountId": res.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"},
    ]
    return req, None, resources


def _bucket(rng: random.Random, res: Resources, region: str) -> Built:
    bucket = pick(rng, res.buckets)
    return (
        {"bucketName": bucket, "Host": f"{bucket}.s3.{region}.amazonaws.com"},
        None,
        [{"accountId": res.account, "type": "AWS::S3::Bucket", "ARN": f"arn:aws:s3:::{bucket}"}],
    )


def _kms(rng: random.Random, res: Resources, region: str) -> Built:
    arn = f"arn:aws:kms:{region}:{res.account}:key/{res.key_id}"
    return (
        {"encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": arn},
        None,
        [{"accountId": res.account, "type": "AWS::KMS::Key", "ARN": arn}],
    )


def _secret(rng: random.Random, res: Resources, region: str) -> Built:
    return {"secretId": pick(rng, res.secrets)}, None, None


def _parameter(rng: random.Random, res: Resources, region: str) -> Built:
    return {"name": pick(rng, res.parameters), "withDecryption": True}, None, None


def _parameters(rng: random.Random, res: Resources, region: str) -> Built:
    return {"names": rng.sample(res.parameters, 2), "withDecryption": False}, None, None


def _function(rng: random.Random, res: Resources, region: str) -> Built:
    return {"functionName": pick(rng, res.functions)}, None, None


def _update_code(rng: random.Random, res: Resources, region: str) -> Built:
    name = pick(rng, res.functions)
    return (
        {"functionName": name, "publish": True, "dryRun": False},
        {
            "functionName": name,
            "runtime": "python3.12",
            "codeSize": rng.randrange(200_000, 9_000_000),
            "functionArn": f"arn:aws:lambda:{region}:{res.account}:function:{name}",
            "lastUpdateStatus": "InProgress",
        },
        None,
    )


def _instances(rng: random.Random, res: Resources, region: str) -> Built:
    ids = rng.sample(res.instances, 1)
    return {"instancesSet": {"items": [{"instanceId": i} for i in ids]}}, None, None


def _describe(rng: random.Random, res: Resources, region: str) -> Built:
    return {"maxResults": 1000, "filterSet": {}}, None, None


def _table(rng: random.Random, res: Resources, region: str) -> Built:
    return {"tableName": pick(rng, res.tables)}, None, None


def _log_events(rng: random.Random, res: Resources, region: str) -> Built:
    return (
        {
            "logGroupName": pick(rng, res.log_groups),
            "limit": 10000,
            "startTime": 0,
            "interleaved": True,
        },
        None,
        None,
    )


def _stack(rng: random.Random, res: Resources, region: str) -> Built:
    return {"stackName": pick(rng, res.stacks)}, None, None


def _service(rng: random.Random, res: Resources, region: str) -> Built:
    return ({"cluster": res.clusters[0], "services": [pick(rng, res.stacks)]}, None, None)


def _repository(rng: random.Random, res: Resources, region: str) -> Built:
    return ({"repositoryName": pick(rng, res.repositories), "registryId": res.account}, None, None)


def _role(rng: random.Random, res: Resources, region: str) -> Built:
    return {"roleName": pick(rng, res.roles)}, None, None


def _user(rng: random.Random, res: Resources, region: str) -> Built:
    return {"userName": pick(rng, res.users)}, None, None


def _assume(rng: random.Random, res: Resources, region: str) -> Built:
    role = pick(rng, res.roles)
    session = "%032x" % rng.getrandbits(128)
    arn = f"arn:aws:iam::{res.account}:role/{role}"
    return (
        {"roleArn": arn, "roleSessionName": session, "durationSeconds": 3600},
        {
            "credentials": {
                "accessKeyId": aws_id(rng, "ASIA"),
                "sessionToken": "IQoJb3JpZ2luX2VjEXAMPLE",
                "expiration": "Oct 1, 2026, 1:00:00 PM",
            },
            "assumedRoleUser": {
                "assumedRoleId": f"{aws_id(rng, 'AROA', 17)}:{session}",
                "arn": f"arn:aws:sts::{res.account}:assumed-role/{role}/{session}",
            },
        },
        [{"accountId": res.account, "type": "AWS::IAM::Role", "ARN": arn}],
    )


BUILDERS: dict[str, Callable[[random.Random, Resources, str], Built]] = {
    "GetObject": _s3_object,
    "PutObject": _s3_object,
    "HeadObject": _s3_object,
    "DeleteObject": _s3_object,
    "GetBucketPolicy": _bucket,
    "GetBucketAcl": _bucket,
    "GetBucketLocation": _bucket,
    "GetBucketVersioning": _bucket,
    "GetBucketEncryption": _bucket,
    "GetBucketPublicAccessBlock": _bucket,
    "ListObjects": _bucket,
    "ListObjectsV2": _bucket,
    "GetBucketTagging": _bucket,
    "GetBucketLogging": _bucket,
    "Decrypt": _kms,
    "GenerateDataKey": _kms,
    "Encrypt": _kms,
    "DescribeKey": _kms,
    "GetSecretValue": _secret,
    "DescribeSecret": _secret,
    "GetParameter": _parameter,
    "GetParameters": _parameters,
    "GetFunction20150331v2": _function,
    "GetPolicy20150331v2": _function,
    "UpdateFunctionCode20150331v2": _update_code,
    "UpdateFunctionConfiguration20150331v2": _function,
    "PublishVersion20150331": _function,
    "DescribeInstances": _instances,
    "DescribeInstanceStatus": _instances,
    "DescribeSecurityGroups": _describe,
    "DescribeVpcs": _describe,
    "DescribeSubnets": _describe,
    "DescribeTable": _table,
    "FilterLogEvents": _log_events,
    "DescribeStacks": _stack,
    "DescribeStackEvents": _stack,
    "CreateChangeSet": _stack,
    "ExecuteChangeSet": _stack,
    "DescribeChangeSet": _stack,
    "GetTemplate": _stack,
    "DescribeServices": _service,
    "UpdateService": _service,
    "BatchGetImage": _repository,
    "PutImage": _repository,
    "InitiateLayerUpload": _repository,
    "BatchCheckLayerAvailability": _repository,
    "GetDownloadUrlForLayer": _repository,
    "GetRole": _role,
    "ListAttachedRolePolicies": _role,
    "ListRolePolicies": _role,
    "GetUser": _user,
    "ListAccessKeys": _user,
    "ListAttachedUserPolicies": _user,
    "ListGroupsForUser": _user,
    "AssumeRole": _assume,
}


def build(name: str, rng: random.Random, res: Resources, region: str) -> Built:
    """``(requestParameters, responseElements, resources)`` of a benign call of ``name``."""
    builder = BUILDERS.get(name)
    if builder is None:
        return None, None, None
    return builder(rng, res, region)
