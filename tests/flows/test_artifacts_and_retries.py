"""What a run's findings artifact lists, and which failures a task retries (no server needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from trailguard.flows.artifacts import WHY_CHARS, findings_markdown, findings_table, why
from trailguard.flows.retries import is_transient
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.lake.db import DatabaseBusy
from trailguard.pipeline.lake.lock import LakeLocked

NOON = datetime(2026, 10, 2, 12, tzinfo=UTC)


def finding(fid: str, severity: float, **overrides: Any) -> Finding:
    """A rule finding with what the artifact shows; `overrides` changes any field."""
    values: dict[str, Any] = {
        "finding_id": fid,
        "type": "Stealth:IAMUser/CloudTrailLoggingDisabled",
        "severity": severity,
        "title": "CloudTrail logging was stopped",
        "description": "A trail stopped logging. (1 event(s) by alice on 2026-10-02)",
        "account_id": "111122223333",
        "principal": "arn:aws:iam::111122223333:user/alice",
        "region": "us-east-1",
        "first_seen": NOON,
        "last_seen": NOON,
        "event_count": 1,
        "detector": "rules.cloudtrail_logging_disabled",
        "evidence": Evidence(why="A trail stopped logging or was deleted."),
    }
    return Finding(**(values | overrides))


def test_the_table_lists_the_most_severe_first_then_the_most_recent() -> None:
    findings = [
        finding("low", 2.0),
        finding("high-old", 8.0, last_seen=NOON - timedelta(hours=5)),
        finding("high-new", 8.0),
        finding("medium", 5.0),
    ]
    rows = findings_table(findings, before={}, top=3)
    assert [r["finding_id"] for r in rows] == ["high-new", "high-old", "medium"]
    assert [r["severity"] for r in rows] == ["8.0 High", "8.0 High", "5.0 Medium"]


def test_each_row_says_whether_the_finding_is_new_and_why_it_was_raised() -> None:
    anomaly = finding("ml", 6.0, evidence=Evidence(summary="ListSecrets never seen\nfor this role"))
    rows = findings_table([finding("rule", 7.0), anomaly], before={"ml": 41}, top=10)
    assert [(r["change"], r["why"]) for r in rows] == [
        ("new", "A trail stopped logging or was deleted."),
        ("updated", "ListSecrets never seen for this role"),
    ]


def test_a_long_reason_is_cut_to_one_table_cell() -> None:
    long = finding("f", 5.0, evidence=Evidence(), description="word " * 200)
    assert len(why(long)) == WHY_CHARS
    assert why(long).endswith("…")


def test_the_summary_counts_every_finding_and_says_so_when_there_are_none() -> None:
    rows = findings_table([finding("a", 8.0), finding("b", 3.0)], before={}, top=1)
    text = findings_markdown(rows, total=2, lake=Path("/var/lake"))
    assert text.startswith("# 2 new or updated findings")
    assert "the 1 most severe are listed (1 High)" in text
    assert findings_markdown([], total=0, lake=Path("lake")).startswith("# No new or updated")


@pytest.mark.parametrize(
    ("error", "retried"),
    [
        (DatabaseBusy("trailguard.duckdb is held"), True),
        (LakeLocked("lake is being written"), True),
        (ConnectionResetError("reset by peer"), True),
        (EndpointConnectionError(endpoint_url="https://s3.amazonaws.com"), True),
        (ClientError({"Error": {"Code": "SlowDown"}}, "ListObjectsV2"), True),
        (ClientError({"Error": {"Code": "AccessDenied"}}, "ListObjectsV2"), False),
        (FileNotFoundError("no such source"), False),
        (ValueError("only 3 feature windows"), False),
        (None, False),
    ],
)
def test_only_failures_a_retry_can_heal_are_retried(
    error: BaseException | None, retried: bool
) -> None:
    assert is_transient(error) is retried
