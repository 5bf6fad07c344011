"""A rule about who acted (root used) keeps one finding per place, across days; other rules one
per day."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import FOREIGN_IP, OFFICE_IP, START, at, make_lake
from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import FindingFilter, list_findings
from trailguard.pipeline.lake.db import open_db

BROWSER = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Safari/605.1.15"
ROOT = {
    "type": "Root",
    "arn": "arn:aws:iam::111122223333:root",
    "accountId": "111122223333",
    "principalId": "111122223333",
}


def _root(day: int, hour: int, ip: str = OFFICE_IP, agent: str = BROWSER) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=at(day, hour),
        eventName="GetAccountSummary",
        userIdentity=ROOT,
        sourceIPAddress=ip,
        userAgent=agent,
    )


def _stop(day: int) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=at(day, 9), eventSource="cloudtrail.amazonaws.com", eventName="StopLogging"
    )


def _findings(lake: Path, detector: str) -> list[Finding]:
    with open_db(lake, read_only=True) as con:
        found = list_findings(con, FindingFilter(status=None))
    return sorted((f for f in found if f.detector == detector), key=lambda f: f.first_seen)


def test_root_from_the_same_place_updates_one_finding_and_a_new_place_makes_another(
    tmp_path: Path,
) -> None:
    records = [_root(0, 10), _root(0, 11), _root(14, 10), _stop(0), _stop(14)]
    records.append(_root(15, 3, ip=FOREIGN_IP))  # another network
    records.append(_root(16, 10, agent="aws-cli/2.15.30 Python/3.11.8"))  # another tool
    lake = make_lake(tmp_path, records)
    run_detection(lake, sigma=())
    office, foreign, cli = _findings(lake, "rules.root_credential_usage")
    assert (office.event_count, office.first_seen.day, office.last_seen.day) == (3, 1, 15)
    assert "3 events on 2 days, 2026-10-01 to 2026-10-15" in office.description
    assert (foreign.event_count, foreign.evidence.source_ips) == (1, (FOREIGN_IP,))
    assert cli.event_count == 1
    # What is done (logging stopped) is still one finding a day.
    assert len(_findings(lake, "rules.cloudtrail_logging_disabled")) == 2


def test_a_rerun_from_a_later_day_keeps_the_whole_count(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_root(0, 10), _root(14, 10)])
    run_detection(lake, sigma=())
    again = run_detection(lake, since=START.replace(day=15), sigma=())
    assert (again.created, again.updated) == (0, 0)
    (office,) = _findings(lake, "rules.root_credential_usage")
    assert office.event_count == 2
