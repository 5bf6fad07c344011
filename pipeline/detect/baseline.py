"""Where a model can learn: the training baseline, and what to say when it holds too little.

`trailguard train` learns from the `baseline_days` before `--now` (default: the newest feature
window). On real logs a few stray late events (a trail re-enabled months later, a test account)
move that end far past the bulk of the history, and the baseline is empty though the lake holds
tens of thousands of windows. The message then names the span that holds the most windows and
the `--now` that trains there, instead of sending the user to `trailguard features`, which would
say nothing is new.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb

from trailguard.pipeline.config import settings
from trailguard.pipeline.sqlfiles import read_sql


@dataclass(frozen=True)
class Span:
    """Consecutive days [first, last] and the feature windows in them."""

    first: date
    last: date
    windows: int


def has_features(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the lake's database has a features table (`trailguard features` creates it)."""
    rows = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'features'"
        " AND database_name = current_database()"
    ).fetchall()
    return bool(rows[0][0])


def windows_per_day(con: duckdb.DuckDBPyConnection) -> list[tuple[date, int]]:
    """(day, feature windows) for every day that has any, in order."""
    rows = con.execute(read_sql("detect/windows_per_day.sql")).fetchall()
    return [(day, int(n)) for day, n in rows]


def densest_span(days: list[tuple[date, int]], length: int) -> Span | None:
    """The `length` consecutive days holding the most windows (the latest of equals), or None
    without any window."""
    best: Span | None = None
    start, total = 0, 0
    for day, count in days:
        total += count
        while days[start][0] <= day - timedelta(days=length):
            total -= days[start][1]
            start += 1
        if best is None or total >= best.windows:
            best = Span(day - timedelta(days=length - 1), day, total)
    return best


def too_little_history(
    days: list[tuple[date, int]],
    found: int,
    needed: int,
    start: datetime,
    end: datetime,
    baseline_days: int,
) -> str:
    """Why training found only `found` windows in [start, end), and what to run instead."""
    where = (
        f"only {found:,} feature windows in the {baseline_days} days before "
        f"{end:%Y-%m-%d %H:%M} UTC ({start:%Y-%m-%d} .. {end:%Y-%m-%d}): the model needs {needed}"
    )
    total = sum(n for _, n in days)
    best = densest_span(days, baseline_days)
    if best is None or best.windows < needed:
        return (
            f"{where}, and the lake holds {total:,} in all: it needs more history (until then "
            "the exact rules run alone)"
        )
    now = (best.last + timedelta(days=1)).isoformat()
    option = (
        "" if baseline_days == settings().baseline_days else f" --baseline-days {baseline_days}"
    )
    return (
        f"{where}. The lake holds {total:,} windows; {best.windows:,} of them are in "
        f"{best.first} .. {best.last}: train there with `trailguard train --now {now}{option}`"
    )
