"""The report's charts: bars scale as stated, the finding's window and the threshold are marked
where they fall, and no text reaches the SVG unescaped."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from trailguard.pipeline.report.svg import (
    LEFT,
    RIGHT,
    WIDTH,
    Bar,
    bar_chart,
    height_share,
    histogram,
    score_chart,
    time_ticks,
    timeline_chart,
)

HOUR = timedelta(hours=1)
T0 = datetime(2026, 10, 5, tzinfo=UTC)


def _bands(svg: str) -> list[tuple[float, float]]:
    """(x, width) of each shaded band."""
    found = re.findall(r'class="band" x="([\d.]+)" y="[\d.]+" width="([\d.]+)"', svg)
    return [(float(x), float(w)) for x, w in found]


def test_a_log_scale_gives_ten_the_half_height_of_a_hundred_less_one() -> None:
    assert height_share(9, 99, log=True) == pytest.approx(0.5)
    assert height_share(50, 100, log=False) == 0.5
    assert height_share(0, 100, log=True) == 0.0
    assert height_share(5, 0, log=False) == 0.0  # an empty chart draws nothing


def test_the_histogram_counts_every_score_once_and_spans_the_threshold() -> None:
    scores = [0.40, 0.41, 0.45, 0.50, 0.52, 0.58]
    hist = histogram(scores, flagged=[0.58], bins=10, include=0.65)

    assert sum(hist.counts) == len(scores)
    assert hist.flagged == [0, 0, 0, 0, 0, 0, 0, 1, 0, 0]  # 0.58 in [0.575, 0.600)
    assert hist.edges[0] == pytest.approx(0.40) and hist.edges[-1] == pytest.approx(0.65)


def test_the_threshold_line_sits_where_the_threshold_falls() -> None:
    hist = histogram([0.2, 0.4, 0.6], flagged=[], bins=4, include=0.2)
    svg = score_chart(hist, threshold=0.5)  # three quarters of the way from 0.2 to 0.6

    (x,) = re.findall(r'class="marker" x1="([\d.]+)"', svg)
    assert float(x) == pytest.approx(LEFT + 0.75 * (WIDTH - LEFT - RIGHT), abs=0.1)
    assert "threshold 0.500" in svg
    assert "log scale" in svg


def test_an_anomaly_window_shades_exactly_its_hours() -> None:
    buckets = [T0 + i * HOUR for i in range(6)]
    counts = {T0 + 2 * HOUR: (5, 1), T0 + 3 * HOUR: (7, 0)}

    svg = timeline_chart(counts, buckets, HOUR, (T0 + 2 * HOUR, T0 + 4 * HOUR))

    step = (WIDTH - LEFT - RIGHT) / 6
    (band,) = _bands(svg)
    assert band == pytest.approx((LEFT + 2 * step, 2 * step), abs=0.1)
    assert "2026-10-05 02:00 UTC: 5 events, 1 errors" in svg


def test_a_single_event_finding_shades_the_bucket_it_fell_in() -> None:
    buckets = [T0 + i * HOUR for i in range(4)]
    moment = T0 + timedelta(hours=1, minutes=30)

    svg = timeline_chart({T0 + HOUR: (1, 0)}, buckets, HOUR, (moment, moment))

    step = (WIDTH - LEFT - RIGHT) / 4
    assert _bands(svg) == [pytest.approx((LEFT + step, step), abs=0.1)]


def test_hourly_ticks_name_midnights_by_date_and_quarter_days_by_hour() -> None:
    buckets = [T0 - 2 * HOUR + i * HOUR for i in range(30)]

    assert time_ticks(buckets, HOUR) == [
        (2, "10-05"),
        (8, "06:00"),
        (14, "12:00"),
        (20, "18:00"),
        (26, "10-06"),
    ]


def test_no_text_reaches_the_svg_unescaped() -> None:
    hostile = '<script>alert("x")</script>'
    svg = bar_chart([Bar(3, tip=hostile)], ticks=[(0, hostile)], label=hostile)

    assert "<script" not in svg
    assert svg.count("&lt;script&gt;") == 3
