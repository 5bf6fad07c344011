"""Incremental features: a run recomputes only the hours with new events, and matches a rebuild."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import START, at, feature_rows, make_lake, routine
from trailguard.pipeline.features.build import build_features

S3_WORK = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]


def test_a_second_run_with_nothing_new_does_nothing(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, list(routine(range(2), range(9, 12), S3_WORK)))
    first = build_features(lake)
    again = build_features(lake)
    assert first.windows == 6
    assert again.windows == 0 and again.window_start is None


def test_new_events_recompute_only_their_hours_and_equal_a_full_rebuild(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, list(routine(range(4), range(9, 12), S3_WORK)), "day0-3")
    build_features(lake)
    later = [cloudtrail_event(eventTime=at(4, 10), eventName="ListUsers")]
    make_lake(tmp_path, later, "day4")
    stats = build_features(lake)
    assert stats.window_start == START + timedelta(days=4, hours=10)
    assert stats.windows == 1
    incremental = feature_rows(lake)
    build_features(lake, full=True)
    assert feature_rows(lake) == incremental


def test_a_late_event_pulls_the_recomputation_back_to_its_hour(tmp_path: Path) -> None:
    lake = make_lake(tmp_path, list(routine(range(3), range(9, 12), S3_WORK)), "first")
    build_features(lake)
    late = [cloudtrail_event(eventTime=at(1, 15), eventName="GetUser")]
    make_lake(tmp_path, late, "late")
    stats = build_features(lake)
    assert stats.window_start == START + timedelta(days=1, hours=15)
    assert stats.windows == 4  # the late hour and the three hours of day 2 after it
