"""The findings store: a finding is updated, never repeated, and each change gets a revision."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import duckdb

from trailguard.pipeline.findings.evidence import Evidence, SampleEvent
from trailguard.pipeline.findings.store import Finding, finding_id, load_findings, upsert_findings

T0 = datetime(2026, 10, 5, 14, tzinfo=UTC)


def a_finding(**changes: object) -> Finding:
    base = Finding(
        finding_id=finding_id("rules.cloudtrail_logging_disabled", "arn:aws:iam::1:user/a", "d1"),
        type="Stealth:IAMUser/CloudTrailLoggingDisabled",
        severity=7.5,
        title="CloudTrail logging stopped",
        description="StopLogging on trail main",
        account_id="111122223333",
        principal="arn:aws:iam::1:user/a",
        region="us-east-1",
        first_seen=T0,
        last_seen=T0,
        event_count=1,
        detector="rules.cloudtrail_logging_disabled",
        evidence=Evidence(events=(SampleEvent(event_id="e1"),)),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_a_rerun_changes_nothing_and_a_grown_episode_is_one_updated_finding() -> None:
    con = duckdb.connect()
    first = upsert_findings(con, [a_finding()], now=T0)
    again = upsert_findings(con, [a_finding()], now=T0 + timedelta(hours=1))
    grown = a_finding(event_count=3, last_seen=T0 + timedelta(minutes=30))
    update = upsert_findings(con, [grown], now=T0 + timedelta(hours=2))

    assert (first.created, first.updated, first.unchanged) == (1, 0, 0)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert (update.created, update.updated, update.unchanged) == (0, 1, 0)
    (stored,) = load_findings(con)
    assert (stored.event_count, stored.last_seen, stored.version) == (3, grown.last_seen, 2)
    assert stored.created_at == T0  # kept from the first sighting
    assert load_findings(con, after_revision=stored.revision) == []


def test_the_revision_cursor_returns_only_what_changed_since() -> None:
    con = duckdb.connect()
    other = a_finding(finding_id=finding_id("d", "p", "e2"), principal="p")
    upsert_findings(con, [a_finding(), other], now=T0)
    cursor = max(f.revision for f in load_findings(con))
    upsert_findings(con, [a_finding(event_count=2), other], now=T0)

    assert [f.event_count for f in load_findings(con, after_revision=cursor)] == [2]
