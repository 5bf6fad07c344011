"""`cloudtrail_event(**overrides)`: a realistic CloudTrail record, changed only where a test says.

Overrides use the record's own field names; nested fields take a double underscore path:
`cloudtrail_event(eventName="StopLogging", userIdentity__type="Root")`. A value of `DELETE`
removes the field.
"""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime
from typing import Any

from trailguard.models.rules.base import Event
from trailguard.pipeline.features.enrich import lookup_ip
from trailguard.pipeline.ingest.normalize import normalize_record

DELETE = object()

_BASE: dict[str, Any] = {
    "eventVersion": "1.09",
    "userIdentity": {
        "type": "IAMUser",
        "principalId": "AIDAEXAMPLEPRINCIPAL",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": "111122223333",
        "accessKeyId": "AKIAEXAMPLEKEY000001",
        "userName": "alice",
    },
    "eventTime": "2026-10-05T14:03:27Z",
    "eventSource": "iam.amazonaws.com",
    "eventName": "ListUsers",
    "awsRegion": "us-east-1",
    "sourceIPAddress": "198.51.100.23",
    "userAgent": "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off",
    "requestParameters": None,
    "responseElements": None,
    "requestID": "5b1e2c1e-8d42-4c2b-9a3d-0f7d1c2a9e11",
    "eventID": None,  # a fresh UUID per call
    "readOnly": True,
    "eventType": "AwsApiCall",
    "managementEvent": True,
    "recipientAccountId": "111122223333",
    "eventCategory": "Management",
    "tlsDetails": {
        "tlsVersion": "TLSv1.3",
        "cipherSuite": "TLS_AES_128_GCM_SHA256",
        "clientProvidedHostHeader": "iam.amazonaws.com",
    },
}


def cloudtrail_event(**overrides: Any) -> dict[str, Any]:
    """A CloudTrail record (IAMUser alice calling iam:ListUsers) with `overrides` applied."""
    record = copy.deepcopy(_BASE)
    record["eventID"] = str(uuid.uuid4())
    for path, value in overrides.items():
        _apply(record, path.split("__"), value)
    return record


def assumed_role_identity(
    role: str = "deploy", session: str = "i-0abc123def4567890", account: str = "111122223333"
) -> dict[str, Any]:
    """A `userIdentity` of an assumed-role session of `role` named `session`."""
    return {
        "type": "AssumedRole",
        "principalId": f"AROAEXAMPLEROLEID:{session}",
        "arn": f"arn:aws:sts::{account}:assumed-role/{role}/{session}",
        "accountId": account,
        "accessKeyId": "ASIAEXAMPLETEMPKEY01",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAEXAMPLEROLEID",
                "arn": f"arn:aws:iam::{account}:role/{role}",
                "accountId": account,
                "userName": role,
            },
            "attributes": {"creationDate": "2026-10-05T13:00:00Z", "mfaAuthenticated": "false"},
        },
    }


def _apply(record: dict[str, Any], path: list[str], value: Any) -> None:
    target = record
    for part in path[:-1]:
        if not isinstance(target.get(part), dict):
            target[part] = {}
        target = target[part]
    if value is DELETE:
        target.pop(path[-1], None)
    else:
        target[path[-1]] = value


def rule_event(record: dict[str, Any]) -> Event:
    """A rule's view of a raw CloudTrail record: normalised as ingest does, its address looked up
    offline as detection does."""
    row = normalize_record(record, "test", datetime.now(UTC))
    inside = lookup_ip(str(row["source_ip_address"])).inside_aws if row["source_is_ip"] else None
    return Event(row, inside)
