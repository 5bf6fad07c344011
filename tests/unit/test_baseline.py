"""When training finds too little history before its end, the message says where it is."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from trailguard.pipeline.detect.baseline import densest_span, too_little_history

START = date(2024, 1, 1)
BULK = [(START + timedelta(days=i), 1000) for i in range(20)]  # 20,000 windows in January
STRAY = [(date(2024, 6, 1), 24)]  # a few late events months later
END = datetime(2024, 6, 2, tzinfo=UTC)


def test_the_densest_span_is_the_latest_of_the_fullest() -> None:
    span = densest_span(BULK + STRAY, 14)
    assert span is not None
    assert (span.first, span.last, span.windows) == (date(2024, 1, 7), date(2024, 1, 20), 14000)


def test_a_few_stray_late_events_get_the_now_that_trains_on_the_bulk() -> None:
    message = too_little_history(BULK + STRAY, 24, 50, END - timedelta(days=14), END, 14)
    assert message.startswith("only 24 feature windows in the 14 days before 2024-06-02 00:00")
    assert "14,000 of them are in 2024-01-07 .. 2024-01-20" in message
    assert message.endswith("`trailguard train --now 2024-01-21`")
    assert "trailguard features" not in message


def test_another_baseline_length_is_repeated_in_the_suggestion() -> None:
    message = too_little_history(BULK + STRAY, 24, 50, END - timedelta(days=7), END, 7)
    assert message.endswith("--baseline-days 7`")


def test_too_little_history_anywhere_says_so_instead() -> None:
    message = too_little_history(STRAY, 24, 50, END - timedelta(days=14), END, 14)
    assert "the lake holds 24 in all: it needs more history" in message
    assert "--now" not in message
