"""Persistence: new users, keys, login profiles, trust policies and backdoored functions."""

from __future__ import annotations

import json

from trailguard.pipeline.synth.identities import aws_id, federated, iam_user
from trailguard.pipeline.synth.scenario import Ctx, technique

PERSISTENCE = "Persistence:IAMUser/AnomalousBehavior"
ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"


def _backdoor_name(c: Ctx) -> str:
    return c.rng.choice(("svc-backup", "aws-support-sync", "ops-automation", "terraform-ci"))


@technique(
    "aws.persistence.iam-create-admin-user",
    "Create an administrative IAM user",
    calls=("CreateUser", "AttachUserPolicy", "CreateAccessKey"),
    findings=(
        PERSISTENCE,
        "PrivilegeEscalation:IAM/AdditionalCloudRoles",
        "Persistence:IAM/AdditionalCloudCredentials",
    ),
)
def create_admin_user(c: Ctx) -> None:
    """A new user with AdministratorAccess and a key, then the key used from outside."""
    c.recon()
    name = _backdoor_name(c)
    user = iam_user(c.rng, c.account, name)
    c.call(
        "CreateUser",
        req={"userName": name},
        resp={
            "user": {
                "userName": name,
                "userId": user.principal_id,
                "arn": user.arn,
                "path": "/",
                "createDate": "Oct 14, 2026, 2:11:05 AM",
            }
        },
    )
    c.call("AttachUserPolicy", req={"userName": name, "policyArn": ADMIN})
    c.call(
        "CreateAccessKey",
        req={"userName": name},
        resp={
            "accessKey": {
                "userName": name,
                "accessKeyId": user.access_key,
                "status": "Active",
                "createDate": "Oct 14, 2026, 2:11:09 AM",
            }
        },
    )
    c.call("GetCallerIdentity", who=user, gap=(30, 300))
    c.call("ListBuckets", who=user, req={"Host": "s3.amazonaws.com"})


@technique(
    "aws.persistence.iam-create-user-login-profile",
    "Create a login profile on an IAM user",
    calls=("CreateLoginProfile",),
    findings=(PERSISTENCE, "Persistence:IAM/AdditionalCloudCredentials"),
)
def create_login_profile(c: Ctx) -> None:
    """Give an existing (or new) user a console password."""
    c.recon()
    name = c.rng.choice(c.res.users)
    c.call("GetUser", req={"userName": name})
    if c.loud:
        c.call("CreateUser", req={"userName": name + "-adm"})
        name += "-adm"
    c.call(
        "CreateLoginProfile",
        req={"userName": name, "passwordResetRequired": False},
        resp={
            "loginProfile": {
                "userName": name,
                "passwordResetRequired": False,
                "createDate": "Oct 15, 2026, 11:02:41 PM",
            }
        },
    )


@technique(
    "tg.persistence.iam-update-login-profile",
    "Reset another user's console password",
    calls=("GetLoginProfile", "UpdateLoginProfile"),
    findings=(PERSISTENCE, "PrivilegeEscalation:IAM/AccountManipulation"),
)
def update_login_profile(c: Ctx) -> None:
    """Take over a human user's console by resetting its password."""
    c.recon()
    name = c.rng.choice(c.res.users)
    c.call("GetLoginProfile", req={"userName": name})
    c.call("UpdateLoginProfile", req={"userName": name, "passwordResetRequired": False})


@technique(
    "aws.persistence.iam-backdoor-user",
    "Create an access key on an existing user",
    calls=("ListAccessKeys", "CreateAccessKey"),
    findings=(PERSISTENCE, "Persistence:IAM/AdditionalCloudCredentials"),
)
def backdoor_user(c: Ctx) -> None:
    """A second access key on someone else's user."""
    c.recon()
    name = c.rng.choice(c.res.users)
    c.call("ListAccessKeys", req={"userName": name})
    c.call(
        "CreateAccessKey",
        req={"userName": name},
        resp={
            "accessKey": {
                "userName": name,
                "accessKeyId": aws_id(c.rng, "AKIA"),
                "status": "Active",
                "createDate": "Oct 16, 2026, 3:40:00 AM",
            }
        },
    )


@technique(
    "aws.persistence.iam-backdoor-role",
    "Backdoor an IAM role's trust policy",
    calls=("GetRole", "UpdateAssumeRolePolicy"),
    findings=(PERSISTENCE, "Persistence:IAM/AdditionalCloudRoles"),
)
def backdoor_role(c: Ctx) -> None:
    """Let an outside account assume an existing role."""
    c.recon()
    role = c.rng.choice(c.res.roles)
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{c.outside_account}:root"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
    c.call("GetRole", req={"roleName": role})
    c.call("UpdateAssumeRolePolicy", req={"roleName": role, "policyDocument": json.dumps(trust)})


@technique(
    "aws.persistence.lambda-overwrite-code",
    "Overwrite Lambda function code",
    calls=("GetFunction20150331v2", "UpdateFunctionCode20150331v2"),
    findings=(PERSISTENCE, "Persistence:Lambda/ImplantInternalImage"),
)
def lambda_overwrite_code(c: Ctx) -> None:
    """Replace a function's code with the attacker's."""
    c.recon()
    fn = c.rng.choice(c.res.functions)
    arn = f"arn:aws:lambda:{c.region}:{c.account}:function:{fn}"
    c.call("GetFunction20150331v2", req={"functionName": fn})
    c.call(
        "UpdateFunctionCode20150331v2",
        req={"functionName": fn, "publish": False, "dryRun": False},
        resp={
            "functionName": fn,
            "functionArn": arn,
            "codeSize": 1337,
            "runtime": "python3.12",
            "lastUpdateStatus": "InProgress",
        },
    )


@technique(
    "aws.persistence.lambda-backdoor-function",
    "Backdoor a Lambda function policy",
    calls=("GetPolicy20150331v2", "AddPermission20150331v2"),
    findings=(PERSISTENCE, "Persistence:Lambda/AccountManipulation"),
)
def lambda_backdoor(c: Ctx) -> None:
    """Let anyone (or an outside account) invoke a function."""
    c.recon()
    fn = c.rng.choice(c.res.functions)
    principal = "*" if c.loud else c.outside_account
    c.call("GetPolicy20150331v2", req={"functionName": fn})
    c.call(
        "AddPermission20150331v2",
        req={
            "functionName": fn,
            "statementId": "backdoor",
            "action": "lambda:InvokeFunction",
            "principal": principal,
        },
    )


@technique(
    "aws.persistence.sts-federation-token",
    "Get a federation token",
    calls=("GetFederationToken",),
    findings=(PERSISTENCE, "Persistence:STS/AdditionalCloudCredentials"),
    victims=("legacy_user",),
)
def federation_token(c: Ctx) -> None:
    """Mint federated-user credentials that survive the key's deletion, then use them."""
    c.recon()
    name = c.rng.choice(("support", "admin-session", "sync"))
    fed = federated(c.rng, c.ident, name)
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}'
    c.call(
        "GetFederationToken",
        req={"name": name, "policy": policy, "durationSeconds": 129600},
        resp={
            "federatedUser": {"federatedUserId": fed.principal_id, "arn": fed.arn},
            "credentials": {
                "accessKeyId": aws_id(c.rng, "ASIA"),
                "expiration": "Oct 20, 2026, 4:00:00 AM",
            },
        },
    )
    for name_ in ("GetCallerIdentity", "ListBuckets", "DescribeInstances"):
        c.call(name_, who=fed, gap=(20, 120))
