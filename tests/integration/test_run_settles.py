"""`trailguard run` settles: the findings its detection makes leave their events out of the
history of the feature rows it stores, though features are computed before detection."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.factories import cloudtrail_event
from tests.helpers.findings import ml_finding, rule_finding
from tests.unit.features.lakes import (
    OFFICE_IP,
    START,
    at,
    feature_rows,
    routine,
    window,
    write_records,
)
from trailguard.pipeline.detect.detect import DetectStats
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import load_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.run import merged, run_pipeline

ALICE = "arn:aws:iam::111122223333:user/alice"
S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]


def _stop_logging(day: int, hour: int) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=at(day, hour),
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        sourceIPAddress=OFFICE_IP,
    )


def test_a_run_stores_features_that_leave_its_own_findings_out(tmp_path: Path) -> None:
    # Alice stops CloudTrail on day 7 and again on day 8: both are rule findings of this run,
    # which computed the features before either finding existed.
    records = list(routine(range(9), range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))
    write_records(tmp_path / "source", [*records, _stop_logging(7, 10), _stop_logging(8, 11)])
    lake = tmp_path / "lake"

    result = run_pipeline(lake, source=str(tmp_path / "source"), workers=1)

    with open_db(lake, read_only=True) as con:
        stored_findings = load_findings(con)
    stopped = [f for f in stored_findings if f.principal == ALICE and f.severity >= 4.0]
    assert stopped, "StopLogging is a rule finding"
    first = min(f.first_seen for f in stopped).replace(minute=0, second=0, microsecond=0)
    assert [r.window_start for r in result.rescored][:1] == [first]
    assert window(feature_rows(lake, ALICE), 8, 11)["novel_sensitive_apis"] == 1
    stored = feature_rows(lake)
    assert build_features(lake).window_start is None  # settled: no finding left to leave out
    build_features(lake, full=True)
    assert feature_rows(lake) == stored
    assert result.detect.created == len(stored_findings)  # each created once, in some round


def test_a_rerun_adds_its_new_findings_once_to_the_runs_stats() -> None:
    rule, anomaly = rule_finding(), ml_finding()
    later_anomaly = ml_finding(finding_id="f" * 32, first_seen=START + timedelta(days=2))
    first = DetectStats(1, 1, 2, 0, 0, 0, "m1", [rule, anomaly], ["1 attack sequence"])
    # The rerun creates the new anomaly finding and updates the first one.
    # It archives one finding a suppression rule matches (the first run archived none).
    rerun = DetectStats(1, 2, 1, 1, 1, 1, "m1", [rule, anomaly, later_anomaly], ["2 sequences"])

    both = merged(first, rerun)

    assert [f.finding_id for f in both.findings] == [
        rule.finding_id,
        anomaly.finding_id,
        later_anomaly.finding_id,
    ]
    assert (both.rule_findings, both.ml_findings) == (1, 2)
    assert (both.created, both.updated, both.archived) == (3, 1, 1)
    assert both.notes == ["2 sequences"]
