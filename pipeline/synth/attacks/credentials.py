"""Credential access: read passwords, secrets and parameters the principal should not need."""

from __future__ import annotations

from trailguard.pipeline.synth.scenario import (
    CREDENTIAL_HOLDERS,
    OUTSIDE_AWS,
    WORKLOADS,
    Ctx,
    technique,
)

CREDENTIALS = "CredentialAccess:IAMUser/AnomalousBehavior"


def _count(c: Ctx, loud: tuple[int, int], quiet: tuple[int, int]) -> int:
    return c.rng.randint(*(loud if c.loud else quiet))


@technique(
    "aws.credential-access.ec2-get-password-data",
    "Retrieve EC2 password data",
    calls=("GetPasswordData",),
    findings=(CREDENTIALS, "CredentialAccess:EC2/UnsecuredCredentials"),
)
def get_password_data(c: Ctx) -> None:
    """Ask for the Windows password of many instances (mostly failing when loud)."""
    c.recon()
    for i in range(_count(c, (15, 30), (3, 8))):
        instance = (
            c.res.instances[i % len(c.res.instances)]
            if i < 5
            else "i-0%016x" % c.rng.getrandbits(64)
        )
        error = c.deny("GetPasswordData") if c.loud and i % 3 else None
        c.call(
            "GetPasswordData",
            req={"instanceId": instance},
            gap=(0.5, 3),
            error=error,
            resp={"instanceId": instance, "timestamp": 1790812800000, "passwordData": ""},
        )


@technique(
    "aws.credential-access.secretsmanager-retrieve-secrets",
    "Retrieve a high number of Secrets Manager secrets",
    calls=("ListSecrets", "GetSecretValue"),
    findings=(CREDENTIALS, "CredentialAccess:SecretsManager/CloudSecretsManagementStores"),
    victims=CREDENTIAL_HOLDERS,
)
def retrieve_secrets(c: Ctx) -> None:
    """List every secret, then read them one by one."""
    c.recon()
    c.call("ListSecrets", req={"maxResults": 100})
    extra = [f"prod/legacy/api-key-{i}" for i in range(_count(c, (6, 15), (0, 2)))]
    for name in (*c.res.secrets, *extra):
        c.call("GetSecretValue", req={"secretId": name}, gap=(0.3, 2))


@technique(
    "aws.credential-access.secretsmanager-batch-retrieve-secrets",
    "Retrieve secrets in bulk with BatchGetSecretValue",
    calls=("ListSecrets", "BatchGetSecretValue"),
    findings=(CREDENTIALS, "CredentialAccess:SecretsManager/CloudSecretsManagementStores"),
)
def batch_retrieve_secrets(c: Ctx) -> None:
    """One call reads them all: ``BatchGetSecretValue`` with a filter matching everything."""
    c.recon()
    c.call("ListSecrets", req={"maxResults": 100})
    for _ in range(_count(c, (2, 4), (1, 1))):
        c.call(
            "BatchGetSecretValue",
            req={"filters": [{"key": "name", "values": [""]}], "maxResults": 20},
        )


@technique(
    "aws.credential-access.ssm-retrieve-securestring-parameters",
    "Retrieve and decrypt SSM parameters",
    calls=("DescribeParameters", "GetParameters"),
    findings=(CREDENTIALS, "CredentialAccess:SSM/CloudSecretsManagementStores"),
    victims=CREDENTIAL_HOLDERS,
)
def ssm_parameters(c: Ctx) -> None:
    """List the parameters and read them all, decrypted."""
    c.recon()
    c.call("DescribeParameters", req={"maxResults": 50})
    names = list(c.res.parameters)
    for i in range(0, len(names), 3 if c.loud else 10):
        c.call("GetParameters", req={"names": names[i : i + 10], "withDecryption": True})


@technique(
    "aws.credential-access.ec2-steal-instance-credentials",
    "Use EC2 or Lambda role credentials from outside AWS",
    calls=("GetCallerIdentity", "ListBuckets", "GetObject"),
    findings=(OUTSIDE_AWS,),
    victims=WORKLOADS,
)
def stolen_instance_credentials(c: Ctx) -> None:
    """A workload's role credentials, lifted from the metadata service, used from elsewhere."""
    c.recon()
    c.call("ListBuckets", req={"Host": "s3.amazonaws.com"})
    for bucket in c.res.buckets[: 4 if c.loud else 2]:
        c.call("ListObjectsV2", req={"bucketName": bucket, "list-type": "2"})
        for _ in range(c.rng.randint(1, 3)):
            c.call(
                "GetObject",
                req={"bucketName": bucket, "key": "exports/customers.csv"},
                gap=(0.5, 5),
            )
