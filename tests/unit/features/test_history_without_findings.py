"""History leaves out the events inside active findings: an attack's calls count in their own
hour, never as the normal behaviour later hours are compared with (issue 16, item 10)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.factories import cloudtrail_event
from tests.helpers.findings import rule_finding
from tests.unit.features.lakes import OFFICE_IP, START, at, feature_rows, make_lake, routine, window
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import finding_id, upsert_findings
from trailguard.pipeline.lake.db import open_db

ACCOUNT = "111122223333"
ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"
BOB = {
    "type": "IAMUser",
    "principalId": "AIDABOB",
    "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
    "accountId": ACCOUNT,
    "userName": "bob",
}
S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]
ATTACK = (7, 10)  # the day and hour of alice's first StopLogging, a finding
AGAIN = (8, 11)  # her second StopLogging


def _stop_logging(day: int, hour: int, **overrides: Any) -> dict[str, Any]:
    return cloudtrail_event(
        eventTime=at(day, hour),
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        sourceIPAddress=OFFICE_IP,
        **overrides,
    )


def _alice_stops_logging_twice() -> list[dict[str, Any]]:
    """Alice's office routine for 9 days; StopLogging on day 7 and again on day 8."""
    records = list(routine(range(9), range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))
    return [*records, _stop_logging(*ATTACK), _stop_logging(*AGAIN)]


def _hour(day: int, hour: int, minutes: int = 0) -> datetime:
    return START + timedelta(days=day, hours=hour, minutes=minutes)


def _store_finding(
    lake: Path, principal: str, start: datetime, end: datetime, **changes: Any
) -> str:
    """A High finding on `principal` from `start` to `end` in the lake; its id."""
    found = rule_finding(
        finding_id=finding_id("rules.test", principal, f"{start:%Y-%m-%dT%H:%M}"),
        principal=principal,
        account_id=ACCOUNT,
        first_seen=start,
        last_seen=end,
    )
    with open_db(lake) as con:
        upsert_findings(con, [dataclasses.replace(found, **changes)])
    return found.finding_id


def _archive(lake: Path, finding: str) -> None:
    with open_db(lake) as con:  # what an analyst's archive leaves in the table
        con.execute(
            "UPDATE findings SET status = 'archived' WHERE finding_id = $id", {"id": finding}
        )


def _attack_finding(lake: Path, **changes: Any) -> str:
    """Alice's first StopLogging as a finding (its minute only)."""
    start = _hour(*ATTACK)
    return _store_finding(lake, ALICE, start, start + timedelta(seconds=1), **changes)


def test_a_stoplogging_that_was_a_finding_leaves_the_next_one_novel(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    _attack_finding(lake)
    build_features(lake)
    rows = feature_rows(lake, ALICE)
    assert window(rows, *AGAIN)["novel_apis"] == 1
    assert window(rows, *AGAIN)["novel_sensitive_apis"] == 1
    assert window(rows, *ATTACK)["novel_sensitive_apis"] == 1  # the attack's own hour too


def test_without_the_finding_the_second_stoplogging_is_not_novel(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    build_features(lake)
    rows = feature_rows(lake, ALICE)
    assert window(rows, *AGAIN)["novel_sensitive_apis"] == 0
    assert window(rows, *ATTACK)["novel_sensitive_apis"] == 1


def test_an_archived_findings_events_count_as_history(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    _archive(lake, _attack_finding(lake))
    build_features(lake)
    assert window(feature_rows(lake, ALICE), *AGAIN)["novel_sensitive_apis"] == 0


def test_a_low_finding_is_informational_and_its_events_count_as_history(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    _attack_finding(lake, severity=2.0)
    build_features(lake)
    assert window(feature_rows(lake, ALICE), *AGAIN)["novel_sensitive_apis"] == 0


def test_the_hour_of_the_finding_keeps_all_its_own_features(tmp_path: Path) -> None:
    # The attack hour also holds routine calls: every count of the hour is the same with the
    # finding as without it; only what later hours compare with changes.
    plain = make_lake(tmp_path / "plain", _alice_stops_logging_twice())
    build_features(plain)
    lake = make_lake(tmp_path / "found", _alice_stops_logging_twice())
    start = _hour(*ATTACK)
    _store_finding(lake, ALICE, start, start + timedelta(minutes=59))  # the whole hour
    build_features(lake)
    assert window(feature_rows(lake, ALICE), *ATTACK) == window(feature_rows(plain, ALICE), *ATTACK)
    assert window(feature_rows(lake, ALICE), *AGAIN) != window(feature_rows(plain, ALICE), *AGAIN)


def test_later_hours_are_judged_as_if_the_incident_had_not_happened(tmp_path: Path) -> None:
    # A burst of denied IAM calls from a new network, wholly inside a finding: the next day's
    # hours have the baselines and first sightings of a lake without that burst.
    routine_days = list(routine(range(9), range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))
    burst = [
        cloudtrail_event(
            eventTime=at(7, 20, minute),
            eventName="ListRoles",
            errorCode="AccessDenied",
            sourceIPAddress="185.220.101.7",
            userAgent="python-requests/2.31.0",
        )
        for minute in range(30)
    ]
    clean = make_lake(tmp_path / "clean", routine_days)
    build_features(clean)
    lake = make_lake(tmp_path / "found", routine_days + burst)
    _store_finding(lake, ALICE, _hour(7, 20), _hour(7, 20, 29))
    build_features(lake)
    after = [r for r in feature_rows(lake, ALICE) if r["window_start"] > _hour(7, 20)]
    assert after == [r for r in feature_rows(clean, ALICE) if r["window_start"] > _hour(7, 20)]
    burst_hour = window(feature_rows(lake, ALICE), 7, 20)
    assert burst_hour["n_events"] == 30 and burst_hour["denied_rate"] == 1.0
    assert burst_hour["novel_networks"] == 1 and burst_hour["novel_user_agents"] == 1


def test_the_baseline_leaves_the_incidents_hours_out(tmp_path: Path) -> None:
    # A denied burst at 20:00 on day 7 (a finding) and the same burst at 20:00 on day 8.
    def burst(day: int) -> list[dict[str, Any]]:
        return [
            cloudtrail_event(
                eventTime=at(day, 20, minute), eventName="ListRoles", errorCode="AccessDenied"
            )
            for minute in range(30)
        ]

    records = list(routine(range(9), range(9, 17), S3_WORK)) + burst(7) + burst(8)
    plain = make_lake(tmp_path / "plain", records)
    build_features(plain)
    lake = make_lake(tmp_path / "found", records)
    _store_finding(lake, ALICE, _hour(7, 20), _hour(7, 20, 29))
    build_features(lake)
    counted, left_out = (
        window(feature_rows(plain, ALICE), 8, 20),
        window(feature_rows(lake, ALICE), 8, 20),
    )
    assert left_out["ctx_baseline_hours"] == counted["ctx_baseline_hours"] - 1
    assert left_out["denied_rate_delta"] == 1.0  # against a baseline that never failed
    assert counted["denied_rate_delta"] < 1.0
    assert left_out["events_vs_baseline"] > counted["events_vs_baseline"]


def test_one_members_incident_makes_nothing_routine_for_its_peer_group(tmp_path: Path) -> None:
    # Bob is new on day 8 and judged against his peers (IAM users with aws-cli): Alice's
    # StopLogging was a finding, so his StopLogging is still new for the group.
    records = list(routine(range(9), range(9, 17), S3_WORK, sourceIPAddress=OFFICE_IP))
    records.append(_stop_logging(*ATTACK))
    records += routine(range(8, 9), range(9, 11), S3_WORK, userIdentity=BOB)
    records.append(_stop_logging(8, 11, userIdentity=BOB))
    lake = make_lake(tmp_path, records)
    _attack_finding(lake)
    build_features(lake)
    bob_stops = window(feature_rows(lake, BOB["arn"]), 8, 11)
    assert bob_stops["ctx_cold_start"] == 1
    assert bob_stops["novel_peer_sensitive_apis"] == 1 and bob_stops["novel_sensitive_apis"] == 1


def test_a_finding_made_after_the_features_recomputes_the_hours_after_it(
    tmp_path: Path,
) -> None:
    # Detection makes findings from features: the next feature run, with no new event,
    # recomputes from the finding's hour and equals a rebuild that knew the finding all along.
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    build_features(lake)
    assert window(feature_rows(lake, ALICE), *AGAIN)["novel_sensitive_apis"] == 0
    _attack_finding(lake)
    stats = build_features(lake)
    assert stats.window_start == _hour(*ATTACK) and not stats.full
    assert stats.windows == 7 + 8  # day 7 from 10:00 to 16:00, all of day 8: alice's hours
    assert window(feature_rows(lake, ALICE), *AGAIN)["novel_sensitive_apis"] == 1
    incremental = feature_rows(lake)
    build_features(lake, full=True)
    assert feature_rows(lake) == incremental
    assert build_features(lake).window_start is None  # the spans are the ones used: nothing new


def test_archiving_a_finding_recomputes_the_hours_after_it(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    finding = _attack_finding(lake)
    build_features(lake)
    _archive(lake, finding)
    stats = build_features(lake)
    assert stats.window_start == _hour(*ATTACK)
    assert window(feature_rows(lake, ALICE), *AGAIN)["novel_sensitive_apis"] == 0


def test_a_finding_that_grows_recomputes_from_its_first_hour(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, _alice_stops_logging_twice())
    _attack_finding(lake)
    build_features(lake)
    _store_finding(lake, ALICE, _hour(*ATTACK), _hour(*AGAIN, minutes=5))  # the same id, longer
    assert build_features(lake).window_start == _hour(*ATTACK)
