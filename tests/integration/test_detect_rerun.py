"""Reruns update findings rather than repeat or shrink them (exact rules alone: Sigma's reruns
are tests/integration/test_detect_sigma.py's)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import START, at, make_lake
from trailguard.pipeline.detect.detect import run_detection


def _stop_logging(day: int, hour: int) -> dict[str, object]:
    return cloudtrail_event(
        eventTime=at(day, hour),
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        readOnly=False,
        requestParameters={"name": "org-trail"},
    )


def test_a_rule_finding_grows_with_new_matches_the_same_day(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop_logging(0, 9)], "morning")
    (first,) = run_detection(lake, sigma=()).findings
    make_lake(tmp_path, [_stop_logging(0, 15)], "afternoon")
    stats = run_detection(lake, sigma=())
    (again,) = stats.findings
    assert again.finding_id == first.finding_id
    assert (stats.created, stats.updated) == (0, 1)
    assert again.event_count == 2
    assert again.last_seen == START + timedelta(hours=15)


def test_detecting_since_midday_does_not_shrink_a_finding_of_that_day(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop_logging(0, 9), _stop_logging(0, 15)])
    run_detection(lake, sigma=())
    stats = run_detection(lake, sigma=(), since=START + timedelta(hours=12))
    (finding,) = stats.findings
    assert finding.event_count == 2
    assert (stats.created, stats.updated) == (0, 0)


def test_another_day_is_another_finding(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, [_stop_logging(0, 9), _stop_logging(1, 9)])
    stats = run_detection(lake, sigma=())
    assert stats.created == 2
    assert len({f.finding_id for f in stats.findings}) == 2
