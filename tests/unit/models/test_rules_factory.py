"""Exact rules on crafted events: the cases Panther's set does not carry."""

from __future__ import annotations

import json

from tests.factories import assumed_role_identity, cloudtrail_event, rule_event
from trailguard.models.registry import load_rules
from trailguard.models.rules.base import Event, RuleContext

RULES = load_rules()


def _ingress(cidr: str, low: int, high: int, protocol: str = "tcp") -> dict[str, object]:
    return {
        "groupId": "sg-0abc",
        "ipPermissions": {
            "items": [
                {
                    "ipProtocol": protocol,
                    "fromPort": low,
                    "toPort": high,
                    "ipRanges": {"items": [{"cidrIp": cidr}]},
                }
            ]
        },
    }


def _event(**overrides: object) -> Event:
    return rule_event(cloudtrail_event(**overrides))


def test_ssh_open_to_the_world_is_found() -> None:
    event = _event(
        eventSource="ec2.amazonaws.com",
        eventName="AuthorizeSecurityGroupIngress",
        requestParameters=_ingress("0.0.0.0/0", 22, 22),
    )
    assert RULES["admin_port_open_to_world"].matches(event)


def test_a_port_range_covering_rdp_from_anywhere_is_found() -> None:
    event = _event(
        eventSource="ec2.amazonaws.com",
        eventName="AuthorizeSecurityGroupIngress",
        requestParameters=_ingress("0.0.0.0/0", 3000, 4000),
    )
    assert RULES["admin_port_open_to_world"].matches(event)


def test_https_open_to_the_world_is_not_an_admin_port() -> None:
    event = _event(
        eventSource="ec2.amazonaws.com",
        eventName="AuthorizeSecurityGroupIngress",
        requestParameters=_ingress("0.0.0.0/0", 443, 443),
    )
    assert not RULES["admin_port_open_to_world"].matches(event)


def test_guardduty_detector_deletion_is_found_and_its_listing_is_not() -> None:
    rule = RULES["guardduty_detector_deleted"]
    deleted = _event(eventSource="guardduty.amazonaws.com", eventName="DeleteDetector")
    listed = _event(eventSource="guardduty.amazonaws.com", eventName="ListDetectors")
    assert rule.matches(deleted)
    assert not rule.matches(listed)


def test_guardduty_detector_disabled_by_update_is_found_but_not_a_denied_attempt() -> None:
    rule = RULES["guardduty_detector_deleted"]
    disabled = _event(
        eventSource="guardduty.amazonaws.com",
        eventName="UpdateDetector",
        requestParameters={"detectorId": "d1", "enable": False},
    )
    denied = _event(
        eventSource="guardduty.amazonaws.com", eventName="DeleteDetector", errorCode="AccessDenied"
    )
    assert rule.matches(disabled)
    assert not rule.matches(denied)


def test_kali_user_agent_is_found_and_an_ordinary_cli_is_not() -> None:
    rule = RULES["pentest_kali_linux"]
    kali = "aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-kali3-amd64 exe/x86_64.kali.2023"
    assert rule.matches(_event(userAgent=kali))
    assert not rule.matches(_event())
    assert not RULES["pentest_parrot_linux"].matches(_event(userAgent=kali))


def test_leaving_the_organisation_is_found_even_when_denied() -> None:
    rule = RULES["leave_organization"]
    attempt = _event(
        eventSource="organizations.amazonaws.com",
        eventName="LeaveOrganization",
        errorCode="AccessDenied",
    )
    assert rule.matches(attempt)
    assert not rule.matches(
        _event(eventSource="organizations.amazonaws.com", eventName="DescribeOrganization")
    )


def test_bucket_policy_granting_another_account_is_found() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::data/*",
            }
        ]
    }
    event = _event(
        eventSource="s3.amazonaws.com",
        eventName="PutBucketPolicy",
        requestParameters={"bucketName": "data", "bucketPolicy": policy},
    )
    assert RULES["bucket_shared_externally"].matches(event)


def test_bucket_policy_for_an_account_of_the_organisation_is_not_found() -> None:
    policy = {
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "999988887777"}, "Action": "s3:GetObject"}
        ]
    }
    event = _event(
        eventSource="s3.amazonaws.com",
        eventName="PutBucketPolicy",
        requestParameters={"bucketName": "data", "bucketPolicy": policy},
    )
    org = RuleContext(org_accounts=frozenset({"111122223333", "999988887777"}))
    assert RULES["bucket_shared_externally"].matches(event)
    assert not RULES["bucket_shared_externally"].matches(event, org)


def test_bucket_policy_for_the_own_account_is_not_found() -> None:
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::111122223333:role/reader"},
                "Action": "s3:GetObject",
            }
        ]
    }
    event = _event(
        eventSource="s3.amazonaws.com",
        eventName="PutBucketPolicy",
        requestParameters={"bucketName": "data", "bucketPolicy": json.dumps(policy)},
    )
    assert not RULES["bucket_shared_externally"].matches(event)


def test_lambda_credentials_used_from_outside_aws_need_the_workload_context() -> None:
    identity = assumed_role_identity(role="thumbnailer-role", session="thumbnailer")
    event = _event(userIdentity=identity, sourceIPAddress="104.102.221.250")
    rule = RULES["instance_credentials_outside_aws"]
    role_arn = "arn:aws:iam::111122223333:role/thumbnailer-role"
    assert rule.matches(event, RuleContext(workloads=frozenset([role_arn])))
    assert not rule.matches(event, RuleContext())  # a person's named session: not a workload


def test_instance_credentials_from_a_trusted_network_are_not_found() -> None:
    identity = assumed_role_identity(role="app", session="i-0abc123def4567890")
    event = _event(userIdentity=identity, sourceIPAddress="104.102.221.250")
    rule = RULES["instance_credentials_outside_aws"]
    assert rule.matches(event, RuleContext())
    import ipaddress

    trusted = RuleContext(trusted_networks=(ipaddress.ip_network("104.102.221.0/24"),))
    assert not rule.matches(event, trusted)
