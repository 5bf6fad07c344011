"""Exfiltration: share snapshots and images with an outside account, open buckets and ports."""

from __future__ import annotations

from trailguard.pipeline.synth.scenario import CREDENTIAL_HOLDERS, Ctx, technique

EXFILTRATION = "Exfiltration:IAMUser/AnomalousBehavior"
PUBLIC_BUCKET = "Policy:S3/BucketAnonymousAccessGranted"


@technique(
    "aws.exfiltration.ec2-share-ebs-snapshot",
    "Share an EBS snapshot externally",
    calls=("CreateSnapshot", "ModifySnapshotAttribute"),
    findings=(EXFILTRATION, "Exfiltration:EC2/TransferDataToCloudAccount"),
)
def share_snapshot(c: Ctx) -> None:
    """Snapshot a volume and grant an outside account permission to create volumes from it."""
    c.recon()
    snap = "snap-0%016x" % c.rng.getrandbits(64)
    c.call("DescribeVolumes", req={"maxResults": 100})
    c.call(
        "CreateSnapshot",
        req={"volumeId": "vol-0%016x" % c.rng.getrandbits(64)},
        resp={"snapshotId": snap, "status": "pending"},
    )
    c.call(
        "ModifySnapshotAttribute",
        gap=(60, 400),
        req={
            "snapshotId": snap,
            "attributeType": "CREATE_VOLUME_PERMISSION",
            "createVolumePermission": {"add": {"items": [{"userId": c.outside_account}]}},
        },
    )


@technique(
    "aws.exfiltration.ec2-share-ami",
    "Share an AMI externally",
    calls=("DescribeImages", "ModifyImageAttribute"),
    findings=(EXFILTRATION, "Exfiltration:EC2/TransferDataToCloudAccount"),
)
def share_ami(c: Ctx) -> None:
    """Grant an outside account launch permission on an image."""
    c.recon()
    image = "ami-0%016x" % c.rng.getrandbits(64)
    c.call("DescribeImages", req={"ownersSet": {"items": [{"owner": "self"}]}})
    c.call(
        "ModifyImageAttribute",
        req={
            "imageId": image,
            "attributeType": "launchPermission",
            "launchPermission": {"add": {"items": [{"userId": c.outside_account}]}},
        },
    )


@technique(
    "aws.exfiltration.rds-share-snapshot",
    "Share an RDS snapshot externally",
    calls=("DescribeDBSnapshots", "ModifyDBSnapshotAttribute"),
    findings=(EXFILTRATION, "Exfiltration:RDS/TransferDataToCloudAccount"),
)
def share_rds_snapshot(c: Ctx) -> None:
    """Grant an outside account restore permission on a database snapshot."""
    c.recon()
    snap = f"{c.rng.choice(c.res.tables)}-snapshot-{c.rng.randrange(1000, 9999)}"
    c.call("DescribeDBSnapshots", req={"includeShared": False, "includePublic": False})
    c.call(
        "ModifyDBSnapshotAttribute",
        req={
            "dBSnapshotIdentifier": snap,
            "attributeName": "restore",
            "valuesToAdd": [c.outside_account],
        },
    )


@technique(
    "aws.exfiltration.s3-backdoor-bucket-policy",
    "Backdoor an S3 bucket policy",
    calls=("GetBucketPolicy", "PutBucketPolicy"),
    findings=(EXFILTRATION, PUBLIC_BUCKET, "Exfiltration:S3/TransferDataToCloudAccount"),
    victims=CREDENTIAL_HOLDERS,
)
def backdoor_bucket_policy(c: Ctx) -> None:
    """Open a bucket to an outside account (quiet) or to everyone (loud)."""
    c.recon()
    bucket = c.rng.choice(c.res.buckets)
    who = "*" if c.loud else {"AWS": f"arn:aws:iam::{c.outside_account}:root"}
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": who,
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            }
        ],
    }
    host = f"{bucket}.s3.{c.region}.amazonaws.com"
    c.call("GetBucketPolicy", req={"bucketName": bucket, "Host": host, "policy": ""})
    c.call(
        "PutBucketPolicy",
        req={"bucketName": bucket, "Host": host, "policy": "", "bucketPolicy": policy},
    )


@technique(
    "aws.exfiltration.ec2-security-group-open-port-22-ingress",
    "Open ingress port 22 on a security group",
    calls=("DescribeSecurityGroups", "AuthorizeSecurityGroupIngress"),
    findings=(EXFILTRATION, "DefenseImpairment:EC2/DisableOrModifyCloudFirewall"),
    victims=CREDENTIAL_HOLDERS,
)
def open_port_22(c: Ctx) -> None:
    """Allow SSH from anywhere."""
    c.recon()
    group = "sg-0%016x" % c.rng.getrandbits(64)
    c.call("DescribeSecurityGroups", req={"maxResults": 1000, "filterSet": {}})
    c.call(
        "AuthorizeSecurityGroupIngress",
        req={
            "groupId": group,
            "ipPermissions": {
                "items": [
                    {
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "ipRanges": {"items": [{"cidrIp": "0.0.0.0/0"}]},
                    }
                ]
            },
        },
        resp={
            "_return": True,
            "securityGroupRuleSet": {
                "items": [
                    {
                        "groupId": group,
                        "isEgress": False,
                        "ipProtocol": "tcp",
                        "fromPort": 22,
                        "toPort": 22,
                        "cidrIpv4": "0.0.0.0/0",
                        "securityGroupRuleId": "sgr-0%016x" % c.rng.getrandbits(64),
                    }
                ]
            },
        },
    )
