"""Security upkeep: rotating a key and a certificate by runbook, and the platform team's account
baseline applied by its automation."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

from trailguard.pipeline.synth import network as net
from trailguard.pipeline.synth.benign_ops.kit import (
    at_local,
    aws_ip,
    caller_from,
    cross_account_assume,
    home_account,
    later,
    on_a_workday,
    on_behalf,
    poll,
    today,
    with_write_access,
)
from trailguard.pipeline.synth.catalog import api
from trailguard.pipeline.synth.identities import assumed_role
from trailguard.pipeline.synth.scenario import Ctx, technique

SECRETS = "secretsmanager.amazonaws.com"


@technique(
    "tg.ops.key-and-certificate-rotation",
    "A key and certificate rotation runbook",
    calls=("CreateKey", "ScheduleKeyDeletion", "RequestCertificate", "DeleteCertificate"),
    victims=("human",),
    kind="hard_negative",
)
def key_rotation(c: Ctx) -> None:
    """The yearly runbook, step by step with the CLI: a new customer-managed key with its policy
    and automatic rotation, the alias moved to it, the application's secrets re-encrypted under
    it (Secrets Manager calling KMS on the engineer's behalf), the old key disabled; then the
    email-validated certificate ACM cannot renew alone replaced by a DNS-validated one (the
    validation record written to Route 53 and waited for), put on the load balancer, the old one
    deleted (refused first while still attached); two days later the old key is scheduled for
    deletion after 30 days."""
    with_write_access(c)
    first = on_a_workday(c, (10, 14))
    alias = f"alias/{c.res.stacks[0]}-app"
    old_key = c.fac.uuid()
    for name, req in (
        ("ListAliases", {"limit": 100}),
        ("DescribeKey", {"keyId": alias}),
        ("GetKeyPolicy", {"keyId": old_key, "policyName": "default"}),
        ("GetKeyRotationStatus", {"keyId": old_key}),
    ):
        c.call(name, req=req, gap=(5, 40))
    new_key = _new_key(c, alias)
    for secret in c.res.secrets[:3]:
        c.call("UpdateSecret", req={"secretId": secret, "kmsKeyId": alias}, gap=(10, 60))
        on_behalf(c, SECRETS, "Decrypt", req=_key_req(c, old_key), gap=(0.2, 1))
        on_behalf(c, SECRETS, "GenerateDataKey", req=_key_req(c, new_key), gap=(0.1, 0.5))
    c.call("DisableKey", req={"keyId": old_key}, gap=(60, 300))
    _certificate(c)
    c.t = at_local(c, first, later(c, 2 + int(c.t - first) // 86400), c.rng.uniform(10, 12))
    c.call("DescribeKey", req={"keyId": old_key})
    deletion = {"keyId": old_key, "pendingWindowInDays": 30}
    c.call("ScheduleKeyDeletion", req=deletion, resp={**deletion, "keyState": "PendingDeletion"})


def _new_key(c: Ctx, alias: str) -> str:
    """Create the new key, its policy and rotation, and point the alias at it; its id."""
    key = c.fac.uuid()
    arn = f"arn:aws:kms:{c.region}:{c.account}:key/{key}"
    create = {
        "description": f"{c.res.stacks[0]} application data key, rotated {today(c)}",
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "SYMMETRIC_DEFAULT",
        "origin": "AWS_KMS",
        "multiRegion": False,
        "bypassPolicyLockoutSafetyCheck": False,
    }
    meta = {"keyId": key, "arn": arn, "keyState": "Enabled", "keyManager": "CUSTOMER"}
    resources = [{"accountId": c.account, "type": "AWS::KMS::Key", "ARN": arn}]
    c.call("CreateKey", req=create, resp={"keyMetadata": meta}, resources=resources, gap=(30, 120))
    statement = {
        "Sid": "Enable IAM User Permissions",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{c.account}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    put = {"keyId": key, "policyName": "default", "policy": policy}
    c.call("PutKeyPolicy", req={**put, "bypassPolicyLockoutSafetyCheck": False}, gap=(20, 90))
    c.call("EnableKeyRotation", req={"keyId": key, "rotationPeriodInDays": 365}, gap=(5, 30))
    c.call("UpdateAlias", req={"aliasName": alias, "targetKeyId": key}, gap=(10, 60))
    return key


def _key_req(c: Ctx, key: str) -> dict[str, Any]:
    arn = f"arn:aws:kms:{c.region}:{c.account}:key/{key}"
    return {"keyId": arn, "encryptionAlgorithm": "SYMMETRIC_DEFAULT"}


def _certificate(c: Ctx) -> None:
    """Replace an email-validated certificate by a DNS-validated one on the load balancer."""
    domain = f"{c.res.stacks[0].split('-', 1)[-1]}.acme-corp.com"
    old = f"arn:aws:acm:{c.region}:{c.account}:certificate/{c.fac.uuid()}"
    new = f"arn:aws:acm:{c.region}:{c.account}:certificate/{c.fac.uuid()}"
    c.call("ListCertificates", req={"certificateStatuses": ["ISSUED"]}, gap=(60, 300))
    c.call("DescribeCertificate", req={"certificateArn": old}, gap=(5, 30))
    request = {"domainName": domain, "validationMethod": "DNS", "idempotencyToken": "rotation"}
    c.call("RequestCertificate", req=request, resp={"certificateArn": new}, gap=(20, 90))
    c.call("DescribeCertificate", req={"certificateArn": new}, gap=(5, 20))
    zone = "Z0" + "".join(c.rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", k=19))
    c.call("ListHostedZones", gap=(10, 60))
    record = {
        "name": f"_{c.rng.getrandbits(128):032x}.{domain}.",
        "type": "CNAME",
        "tTL": 300,
        "resourceRecords": [{"value": f"_{c.rng.getrandbits(128):032x}.acm-validations.aws."}],
    }
    batch = {"changes": [{"action": "UPSERT", "resourceRecordSet": record}]}
    change = {"id": f"/change/C{c.rng.getrandbits(64):016X}", "status": "PENDING"}
    c.call(
        "ChangeResourceRecordSets",
        req={"hostedZoneId": zone, "changeBatch": batch},
        resp={"changeInfo": change},
        gap=(30, 120),
    )
    poll(c, "GetChange", c.rng.randint(2, 4), (10, 30), req={"id": change["id"]})
    poll(c, "DescribeCertificate", c.rng.randint(3, 8), (30, 120), req={"certificateArn": new})
    _swap_on_listener(c, old, new)


def _swap_on_listener(c: Ctx, old: str, new: str) -> None:
    balancer = f"{c.res.stacks[0]}-alb"
    lb_arn = f"arn:aws:elasticloadbalancing:{c.region}:{c.account}:loadbalancer/app/{balancer}"
    listener = f"{lb_arn.replace(':loadbalancer/', ':listener/')}/{c.rng.getrandbits(64):016x}"
    c.call("DescribeLoadBalancers", req={"names": [balancer]}, gap=(30, 120))
    c.call("DescribeListeners", req={"loadBalancerArn": lb_arn}, gap=(5, 20))
    certificates = {"listenerArn": listener, "certificates": [{"certificateArn": new}]}
    c.call("AddListenerCertificates", req=certificates, gap=(10, 60))
    c.call("DescribeListenerCertificates", req={"listenerArn": listener}, gap=(5, 30))
    in_use = ("ResourceInUseException", f"Certificate {old} in account {c.account} is in use.")
    c.call("DeleteCertificate", req={"certificateArn": old}, error=in_use, gap=(30, 120))
    old_on_listener = {"listenerArn": listener, "certificates": [{"certificateArn": old}]}
    c.call("RemoveListenerCertificates", req=old_on_listener, gap=(20, 90))
    c.call("DeleteCertificate", req={"certificateArn": old}, gap=(10, 60))


# aws-sdk-go-v2's id of each service, as Terraform's agent names it (``api/<id>#<version>``).
_SDK_ID = {
    "access-analyzer.amazonaws.com": "accessanalyzer",
    "config.amazonaws.com": "configservice",
    "s3.amazonaws.com": "s3control",
}


@technique(
    "tg.ops.account-baseline",
    "The platform team's account baseline applied by Account Factory for Terraform",
    calls=("AssumeRole", "PutConfigurationRecorder", "EnableSecurityHub", "CreateAnalyzer"),
    victims=("aws_service",),
    kind="hard_negative",
)
def account_baseline(c: Ctx) -> None:
    """An older account is brought under the platform team's account factory (AFT): a CodeBuild
    job in the platform account assumes AWSAFTExecution here (recorded as the other account's
    call) and Terraform applies the baseline in both home regions: an IAM password policy (none
    was set), the security team's audit role, EBS encryption by default, S3 Block Public Access
    for the account, AWS Config (its old recorder found in the way first, its service-linked
    role already there), Security Hub and its standards (already on in one region: the refusal
    is expected), an access analyzer whose service-linked role Access Analyzer creates."""
    on_a_workday(c, (8, 11))
    role = assumed_role(c.rng, c.account, "AWSAFTExecution", "AWSAFT-Session")
    c.ip = aws_ip(c, c.place.regions[0])  # the AFT account's CodeBuild
    apply = _Apply(c, c.rng.randrange(0, 8), c.rng.randrange(0, 3))
    c.ua = apply.agent("sts.amazonaws.com")
    cross_account_assume(c, caller_from(c, home_account(c), "AWSAFT-Session"), role)
    c.victim = dataclasses.replace(c.victim, ident=role)
    apply("GetCallerIdentity")
    _account_wide(apply)
    for n, region in enumerate(c.place.regions):
        _config(apply, region, first=n == 0)
        _security_services(apply, region, first=n == 0)


@dataclass(frozen=True)
class _Apply:
    """A Terraform apply in progress: its agent names the SDK client of each call."""

    c: Ctx
    version: int
    provider: int

    def agent(self, source: str) -> str:
        sdk_id = _SDK_ID.get(source, source.split(".")[0])
        return net.TERRAFORM.format(n=self.version, m=self.provider, svc=sdk_id)

    def __call__(self, name: str, **kw: Any) -> None:
        """One call (ten resources at a time by default: calls come close together)."""
        gap = kw.pop("gap", (0.2, 3))
        self.c.ua = self.agent(api(name, kw.get("source")).source)
        self.c.call(name, gap=gap, **kw)


def _account_wide(apply: _Apply) -> None:
    """Password policy (none yet), the audit role, the account's S3 Block Public Access."""
    c = apply.c
    none_set = (
        "NoSuchEntity",
        f"The Password Policy with domain name {c.account} cannot be found.",
    )
    apply("GetAccountPasswordPolicy", error=none_set)
    apply("UpdateAccountPasswordPolicy", req=_PASSWORD_POLICY)
    trust = {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{home_account(c)}:root"},
        "Action": "sts:AssumeRole",
    }
    document = json.dumps({"Version": "2012-10-17", "Statement": [trust]})
    audit = {"roleName": "acme-security-audit"}
    apply("CreateRole", req={**audit, "assumeRolePolicyDocument": document})
    for policy in ("SecurityAudit", "ReadOnlyAccess"):
        apply("AttachRolePolicy", req={**audit, "policyArn": f"arn:aws:iam::aws:policy/{policy}"})
    for name in ("GetRole", "ListRolePolicies", "ListAttachedRolePolicies"):
        apply(name, req=audit)
    account = {"x-amz-account-id": c.account}
    block = {"PublicAccessBlockConfiguration": _BLOCK_ALL, **account}
    apply("PutAccountPublicAccessBlock", req=block)
    apply("GetAccountPublicAccessBlock", req=account)


_PASSWORD_POLICY = {
    "minimumPasswordLength": 14,
    "requireSymbols": True,
    "requireNumbers": True,
    "requireUppercaseCharacters": True,
    "requireLowercaseCharacters": True,
    "allowUsersToChangePassword": True,
    "maxPasswordAge": 90,
    "passwordReusePrevention": 24,
}
_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
_SLR_TAKEN = (
    "InvalidInput",
    "Service role name AWSServiceRoleForConfig has been taken in this account, please try a "
    "different suffix.",
)
_RECORDER_IN_THE_WAY = (
    "MaxNumberOfConfigurationRecordersExceededException",
    "Failed to put configuration recorder 'aft-baseline' because the maximum number of "
    "configuration recorders: 1 is reached.",
)


def _config(apply: _Apply, region: str, *, first: bool) -> None:
    """EBS encryption by default and AWS Config in ``region``; in the first, the account's old
    recorder and service-linked role are found in the way, and the next apply adopts them."""
    c = apply.c
    apply("EnableEbsEncryptionByDefault", region=region)
    apply("GetEbsEncryptionByDefault", region=region)
    slr = "aws-service-role/config.amazonaws.com/AWSServiceRoleForConfig"
    recorder = {
        "name": "aft-baseline",
        "roleARN": f"arn:aws:iam::{c.account}:role/{slr}",
        "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": first},
    }
    apply("DescribeConfigurationRecorders", region=region)
    gap = (0.2, 3)
    if first:
        linked = {"aWSServiceName": "config.amazonaws.com"}
        apply("CreateServiceLinkedRole", req=linked, error=_SLR_TAKEN)
        put = {"configurationRecorder": recorder}
        apply("PutConfigurationRecorder", region=region, req=put, error=_RECORDER_IN_THE_WAY)
        recorder, gap = {**recorder, "name": "default"}, (60, 240)
    apply(
        "PutConfigurationRecorder", region=region, req={"configurationRecorder": recorder}, gap=gap
    )
    channel = {
        "name": "default",
        "s3BucketName": f"aws-config-logs-{home_account(c)}",
        "configSnapshotDeliveryProperties": {"deliveryFrequency": "TwentyFour_Hours"},
    }
    apply("DescribeConfigurationRecorders", region=region)  # Terraform reads back what it made
    apply("PutDeliveryChannel", region=region, req={"deliveryChannel": channel})
    start = {"configurationRecorderName": "default"}
    apply("StartConfigurationRecorder", region=region, req=start)
    apply("DescribeConfigurationRecorderStatus", region=region)


def _security_services(apply: _Apply, region: str, *, first: bool) -> None:
    """Security Hub (already on in the first region) with two standards, an access analyzer."""
    c = apply.c
    hub = {"enableDefaultStandards": False, "controlFindingGenerator": "SECURITY_CONTROL"}
    already = (
        "ResourceConflictException",
        f"Account {c.account} is already subscribed to Security Hub",
    )
    apply("EnableSecurityHub", region=region, req=hub, error=already if first else None)
    apply("DescribeHub", region=region)
    arn = f"arn:aws:securityhub:{region}::standards"
    standards = [
        {"standardsArn": f"{arn}/aws-foundational-security-best-practices/v/1.0.0"},
        {"standardsArn": f"{arn}/cis-aws-foundations-benchmark/v/3.0.0"},
    ]
    apply("BatchEnableStandards", region=region, req={"standardsSubscriptionRequests": standards})
    for _ in range(c.rng.randint(2, 5)):  # waiting for the subscriptions to leave PENDING
        apply("GetEnabledStandards", region=region, gap=(5, 15))
    analyzer = {"analyzerName": f"account-analyzer-{region}", "type": "ACCOUNT"}
    apply("CreateAnalyzer", region=region, req=analyzer)
    apply("ListAnalyzers", region=region, req={"type": "ACCOUNT"})
    if first:  # the account's first analyzer: Access Analyzer creates its service-linked role
        linked = {"aWSServiceName": "access-analyzer.amazonaws.com"}
        service = "access-analyzer.amazonaws.com"
        on_behalf(c, service, "CreateServiceLinkedRole", req=linked, gap=(0.5, 2))
