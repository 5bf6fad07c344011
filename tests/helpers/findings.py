"""Standard findings for exporter tests: one exact-rule finding, one anomaly-model finding.

Their payloads are compared with golden files in tests/golden/, so change them only on purpose.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding, finding_id

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
        evidence=Evidence.from_json(
            {  # as pipeline/detect/rule_findings.py writes it
                "rule": "cloudtrail_logging_disabled",
                "why": "CloudTrail logging was stopped: whatever happens next goes unrecorded.",
                "regions": ["us-east-1"],
                "source_ips": ["198.51.100.23"],
                "user_agents": ["aws-cli/2.15.30 Python/3.11.8 Linux/6.5 exe/x86_64"],
                "events": [
                    {
                        "event_id": "3038ebd2-c98a-4c65-9b6e-e22506292313",
                        "event_time": "2026-10-05T14:03:27+00:00",
                        "event_name": "StopLogging",
                        "event_source": "cloudtrail.amazonaws.com",
                        "source_ip_address": "198.51.100.23",
                        "error_code": None,
                        "request_parameters": {
                            "name": "arn:aws:cloudtrail:us-east-1:111122223333:"
                            "trail/management-events"
                        },
                    }
                ],
                "events_omitted": 0,
            }
        ),
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
        evidence=Evidence.from_json(
            {  # as pipeline/detect/explain.py writes it
                "summary": "ci-deployer behaved unusually 2026-10-05 14:00-15:00 UTC; new apis: "
                "iam:ListUsers, iam:ListRoles, iam:GetAccountAuthorizationDetails",
                "score": 0.71,
                "windows": ["2026-10-05T14:00:00+00:00"],
                "cold_start": False,
                "peer_group": "role:ci",
                "history_days": 41.0,
                "top_features": [
                    {
                        "feature": "n_apis",
                        "value": 41.0,
                        "principal_baseline": 6.5,
                        "peer_baseline": 8.0,
                        "deviation": 5.12,
                    },
                    {
                        "feature": "error_rate",
                        "value": 0.62,
                        "principal_baseline": 0.01,
                        "peer_baseline": 0.02,
                        "deviation": 4.3,
                    },
                    {
                        "feature": "novel_networks",
                        "value": 1.0,
                        "principal_baseline": 0.0,
                        "peer_baseline": None,
                        "deviation": 3.0,
                    },
                ],
                "unusual": {
                    "apis": [
                        {"value": "iam:ListUsers", "events": 61, "category": "discovery"},
                        {"value": "iam:ListRoles", "events": 58, "category": "discovery"},
                        {
                            "value": "iam:GetAccountAuthorizationDetails",
                            "events": 2,
                            "category": "discovery",
                        },
                    ],
                    "networks": [{"value": "AS64500 EXAMPLE-TRANSIT", "events": 187}],
                    "user_agents": [{"value": "tool:python-requests", "events": 187}],
                    "regions": [],
                    "countries": [{"value": "NL", "events": 187}],
                },
                "profile": {
                    "apis": {
                        "frequent": ["sts:AssumeRole", "s3:PutObject"],
                        "infrequent": ["s3:GetObject"],
                        "rare": ["s3:ListBuckets"],
                    },
                    "networks": {"frequent": ["AS16509 AMAZON-02"], "infrequent": [], "rare": []},
                    "user_agents": {"frequent": ["aws-cli/2"], "infrequent": [], "rare": []},
                    "regions": {"frequent": ["eu-west-1"], "infrequent": [], "rare": []},
                    "countries": {"frequent": ["IE"], "infrequent": [], "rare": []},
                },
                "sensitive_calls": {"discovery": 121},
                "threshold": 0.62,
                "source_ips": ["203.0.113.77"],
                "user_agents": ["python-requests/2.31.0"],
            }
        ),
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
