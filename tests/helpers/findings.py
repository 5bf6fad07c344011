"""Standard findings for exporter tests: one exact-rule finding, one anomaly-model finding.

Their payloads are compared with golden files in tests/golden/, so change them only on purpose.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline.findings import Finding, finding_id

T0 = datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)


def rule_finding(**changes: Any) -> Finding:
    """CloudTrail logging stopped by an IAM user: an exact rule, High severity."""
    principal = "arn:aws:iam::111122223333:user/alice"
    detector = "rules.cloudtrail_logging_disabled"
    base = Finding(
        finding_id=finding_id(detector, principal, "2026-10-05"),
        type="Stealth:IAMUser/CloudTrailLoggingDisabled",
        severity=7.5,
        title="CloudTrail logging was disabled by alice",
        description="alice called StopLogging on trail management-events in us-east-1.",
        account_id="111122223333",
        principal=principal,
        region="us-east-1",
        first_seen=T0,
        last_seen=T0,
        event_count=1,
        detector=detector,
        evidence={
            "events": ["3038ebd2-c98a-4c65-9b6e-e22506292313"],
            "api": "cloudtrail.amazonaws.com:StopLogging",
            "trail": "arn:aws:cloudtrail:us-east-1:111122223333:trail/management-events",
            "source_ip": "198.51.100.23",
        },
        created_at=T0 + timedelta(minutes=5),
        updated_at=T0 + timedelta(minutes=5),
        version=1,
        revision=1,
    )
    return dataclasses.replace(base, **changes)


def ml_finding(**changes: Any) -> Finding:
    """Unusual discovery by a role: the isolation forest, Medium severity, rich evidence."""
    principal = "arn:aws:iam::111122223333:role/ci-deployer"
    detector = "isolation_forest"
    base = Finding(
        finding_id=finding_id(detector, principal, "2026-10-05T14"),
        type="Discovery:IAMUser/AnomalousBehavior",
        severity=5.0,
        title="Unusual discovery APIs called by ci-deployer",
        description="ci-deployer listed IAM users, roles and S3 buckets from a new network.",
        account_id="111122223333",
        principal=principal,
        region="eu-west-1",
        first_seen=T0,
        last_seen=T0 + timedelta(minutes=42),
        event_count=187,
        detector=detector,
        evidence={
            "features": [
                {"name": "distinct_apis", "value": 41, "baseline": 6.5, "peer": 8.0},
                {"name": "access_denied_rate", "value": 0.62, "baseline": 0.01, "peer": 0.02},
                {"name": "new_asn", "value": 1, "baseline": 0, "peer": None},
            ],
            "unusual": {
                "apis": ["ListUsers", "ListRoles", "GetAccountAuthorizationDetails"],
                "networks": ["203.0.113.77"],
                "asns": ["AS64500 EXAMPLE-TRANSIT"],
                "user_agents": ["python-requests/2.31.0"],
            },
            "profiled": {
                "apis": {"frequent": ["AssumeRole", "PutObject"], "rare": ["ListBuckets"]},
                "asns": {"frequent": ["AS16509 AMAZON-02"]},
                "user_agents": {"frequent": ["aws-cli/2.15.30"]},
                "regions": {"frequent": ["eu-west-1"]},
            },
            "events": [
                "6d4b2a6e-1111-4c1e-9f00-000000000001",
                "6d4b2a6e-1111-4c1e-9f00-000000000002",
            ],
        },
        score=0.71,
        model_version="iforest-2026.10.01",
        created_at=T0 + timedelta(hours=1),
        updated_at=T0 + timedelta(hours=1),
        version=1,
        revision=2,
    )
    return dataclasses.replace(base, **changes)


def many_findings(count: int, *, start: datetime = T0, first: int = 0) -> list[Finding]:
    """`count` distinct rule findings (principals user-<first>...), for delivery tests."""
    return [
        rule_finding(
            finding_id=finding_id("rules.test", f"user-{i}", "e"),
            principal=f"arn:aws:iam::111122223333:user/user-{i:03d}",
            first_seen=start + timedelta(minutes=i),
            last_seen=start + timedelta(minutes=i),
            title=f"Test finding {i}",
        )
        for i in range(first, first + count)
    ]
