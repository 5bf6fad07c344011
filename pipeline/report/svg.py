"""Inline SVG charts for the HTML report, drawn here: no library, no script, nothing to fetch.

Two charts, one drawing function: a finding's timeline (the principal's events per time bucket,
the finding's window shaded, errors in the accent colour) and the model's score distribution
(windows per score bin on a log scale, flagged windows in the accent colour, the threshold as a
vertical line). Every text that reaches the SVG is escaped: tooltips carry principal names and
times, and a principal name is attacker-controlled (anyone can name a role session).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape

import numpy as np

WIDTH, HEIGHT = 880, 170
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 16, 24  # room for the axis labels
BASE = HEIGHT - BOTTOM  # the x axis
HEADROOM = 1.1  # the tallest bar reaches 1/1.1 of the plot
BAR, ACCENT, LINE = "#7f9cc4", "#d1495b", "#222"
BAND, BAND_EDGE = "#fde9b0", "#e0a800"


@dataclass(frozen=True)
class Bar:
    """One bar: its height, the part of it drawn in the accent colour, a band behind it."""

    value: float
    accent: float = 0.0
    marked: bool = False
    tip: str = ""


@dataclass(frozen=True)
class Marker:
    """A vertical line at `position`, in bar units (0 = left edge of the first bar)."""

    position: float
    label: str


def height_share(value: float, top: float, *, log: bool) -> float:
    """The share (0..1) of the plot's height a value takes, linear or log(1 + value)."""
    if top <= 0 or value <= 0:
        return 0.0
    if log:
        return min(math.log10(1 + value) / math.log10(1 + top), 1.0)
    return min(value / top, 1.0)


def bar_chart(
    bars: Sequence[Bar],
    *,
    log: bool = False,
    ticks: Sequence[tuple[int, str]] = (),
    markers: Sequence[Marker] = (),
    label: str = "",
) -> str:
    """An SVG bar chart: shaded bands behind marked bars, bars, accents, markers, axis labels."""
    top = max((b.value for b in bars), default=0.0)
    step = (WIDTH - LEFT - RIGHT) / max(len(bars), 1)
    plot = (HEIGHT - TOP - BOTTOM) / HEADROOM  # the tallest bar leaves the band visible above it
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="chart" role="img" aria-label="{escape(label)}">'
    ]
    parts += _bands(bars, step)
    if log:
        parts += _log_grid(top, plot)
    for index, bar in enumerate(bars):
        parts += _bar(bar, LEFT + index * step, step, top, plot, log)
    parts += _axes(top, log, ticks, step)
    for marker in markers:
        x = LEFT + marker.position * step
        parts.append(
            f'<line class="marker" x1="{x:.1f}" y1="{TOP - 6}" x2="{x:.1f}" y2="{BASE}" '
            f'stroke="{LINE}" stroke-width="1.5" stroke-dasharray="4 3"/>'
            f'<text x="{x + 4:.1f}" y="{TOP + 4}" font-size="11">{escape(marker.label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bands(bars: Sequence[Bar], step: float) -> list[str]:
    """One shaded rectangle (and a strip under the axis) per run of adjacent marked bars."""
    out: list[str] = []
    index = 0
    while index < len(bars):
        if not bars[index].marked:
            index += 1
            continue
        end = index
        while end < len(bars) and bars[end].marked:
            end += 1
        x, width = LEFT + index * step, (end - index) * step
        out.append(
            f'<rect class="band" x="{x:.1f}" y="{TOP}" width="{width:.1f}" '
            f'height="{BASE - TOP}" fill="{BAND}"/>'
            f'<rect x="{x:.1f}" y="{BASE}" width="{width:.1f}" height="4" fill="{BAND_EDGE}"/>'
        )
        index = end
    return out


def _bar(bar: Bar, x: float, step: float, top: float, plot: float, log: bool) -> list[str]:
    width = max(step - 1, 0.5) if step > 2 else step
    out: list[str] = []
    for value, colour in ((bar.value, BAR), (min(bar.accent, bar.value), ACCENT)):
        h = height_share(value, top, log=log) * plot
        if h > 0:
            out.append(
                f'<rect x="{x:.1f}" y="{BASE - h:.1f}" width="{width:.1f}" height="{h:.1f}" '
                f'fill="{colour}"><title>{escape(bar.tip)}</title></rect>'
            )
    return out


def _log_grid(top: float, plot: float) -> list[str]:
    """Faint lines at 10, 100, 1000, ... on a log scale, labelled on the left."""
    out: list[str] = []
    power = 10
    while power < top:
        y = BASE - height_share(power, top, log=True) * plot
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#e4e4e4"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end" '
            f'fill="#888">{power:,}</text>'
        )
        power *= 10
    return out


def _axes(top: float, log: bool, ticks: Sequence[tuple[int, str]], step: float) -> list[str]:
    y_top = BASE - (HEIGHT - TOP - BOTTOM) / HEADROOM
    out = [
        f'<line x1="{LEFT}" y1="{BASE}" x2="{WIDTH - RIGHT}" y2="{BASE}" stroke="#999"/>',
        f'<text x="{LEFT - 4}" y="{y_top + 4:.1f}" font-size="11" text-anchor="end">'
        f"{top:,.0f}</text>",
        f'<text x="{LEFT - 4}" y="{BASE}" font-size="11" text-anchor="end">0</text>',
    ]
    if log:
        out.append(f'<text x="4" y="{TOP - 4}" font-size="10" fill="#888">log scale</text>')
    for index, text in ticks:
        x = LEFT + index * step
        out.append(
            f'<line x1="{x:.1f}" y1="{BASE}" x2="{x:.1f}" y2="{BASE + 4}" stroke="#999"/>'
            f'<text x="{x:.1f}" y="{BASE + 16}" font-size="11" text-anchor="middle">'
            f"{escape(text)}</text>"
        )
    return out


@dataclass(frozen=True)
class Histogram:
    """Counts of scores per bin, and how many of them were flagged."""

    edges: list[float]  # len(counts) + 1
    counts: list[int]
    flagged: list[int]


def histogram(
    scores: Sequence[float], flagged: Sequence[float], *, bins: int = 50, include: float = 0.0
) -> Histogram:
    """Equal-width bins spanning every score (and `include`, e.g. the threshold)."""
    values = np.asarray(scores, dtype=np.float64)
    lo = min(float(values.min()) if len(values) else include, include)
    hi = max(float(values.max()) if len(values) else include, include)
    if hi - lo < 1e-9:
        hi = lo + 1e-3
    counts, edges = np.histogram(values, bins=bins, range=(lo, hi))
    marked, _ = np.histogram(np.asarray(flagged, dtype=np.float64), bins=edges)
    return Histogram([float(e) for e in edges], counts.tolist(), marked.tolist())


def score_chart(hist: Histogram, threshold: float) -> str:
    """The score histogram (log counts), flagged windows in the accent colour, the threshold."""
    lo, hi = hist.edges[0], hist.edges[-1]
    n = len(hist.counts)
    bars = [
        Bar(
            count,
            accent=flagged,
            tip=f"score {hist.edges[i]:.3f}-{hist.edges[i + 1]:.3f}: "
            f"{count:,} windows, {flagged:,} flagged",
        )
        for i, (count, flagged) in enumerate(zip(hist.counts, hist.flagged, strict=True))
    ]
    ticks = [(i, f"{hist.edges[i]:.2f}") for i in range(0, n + 1, max(n // 8, 1))]
    position = (threshold - lo) / (hi - lo) * n
    marker = Marker(position, f"threshold {threshold:.3f}")
    return bar_chart(bars, log=True, ticks=ticks, markers=[marker], label="score distribution")


def timeline_chart(
    counts: dict[datetime, tuple[int, int]],
    buckets: Sequence[datetime],
    step: timedelta,
    window: tuple[datetime, datetime],
) -> str:
    """Events per bucket (errors as accent); the buckets of `window` [first, last) are shaded.

    The bucket holding `first` is always shaded: an exact rule's finding of one event has
    first == last.
    """
    first, last = window
    bars = []
    for start in buckets:
        events, errors = counts.get(start, (0, 0))
        tip = f"{start:%Y-%m-%d %H:%M} UTC: {events:,} events, {errors:,} errors"
        marked = start + step > first and (start < last or start <= first)
        bars.append(Bar(events, accent=errors, marked=marked, tip=tip))
    return bar_chart(bars, ticks=time_ticks(buckets, step), label="events over time")


def time_ticks(buckets: Sequence[datetime], step: timedelta) -> list[tuple[int, str]]:
    """Midnights labelled by date; between them every 6 hours (3 for finer buckets) when room."""
    every = 3 if step < timedelta(hours=1) else 6 if len(buckets) <= 100 else 24
    return [
        (i, f"{b:%m-%d}" if b.hour == 0 else f"{b:%H:00}")
        for i, b in enumerate(buckets)
        if b.minute == 0 and b.hour % every == 0
    ]
