"""Findings as an analyst's queue: precision at a daily alert budget and the precision-recall curve.

Both rank findings the way a triage queue would, by severity and then by the model's score (a
rule's finding has no score and ranks after anomaly findings of the same severity), and both are
pure: they take `Ranked` items, one per finding, that `pipeline.evaluation.evaluate` builds from a
lake's findings and labels.

- **Precision at budget**: each day (a finding's day is the UTC date of its `first_seen`) the
  analyst reads the top `ceil(budget × active principals that day / 100)` findings. Precision is
  the share of read findings that overlap an attack; recall is the share of attacks caught by a
  read finding (overlapping, lasting at most 48 hours: the queue replaces the severity floor).
- **PR curve**: the alert threshold sweeps down the ranking; at each distinct (severity, score)
  the point is (recall, precision) of the findings ranked at or above it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import groupby


@dataclass(frozen=True)
class Ranked:
    """One finding as the queue sees it: its rank key, its day, and what it is worth."""

    finding_id: str
    severity: float
    score: float | None
    day: date
    true: bool  # overlaps an attack
    catches: frozenset[str] = frozenset()  # attacks it catches when alerted (overlap, <= 48 h)

    @property
    def key(self) -> tuple[float, float]:
        """Severity first, then the model's score (a rule's finding has none)."""
        return (self.severity, -math.inf if self.score is None else self.score)


@dataclass(frozen=True)
class Budget:
    """What an analyst reading `per_100` findings per 100 principals per day would see."""

    per_100: float
    alerts: int = 0  # findings read
    true_alerts: int = 0  # of which overlap an attack
    caught: frozenset[str] = field(default_factory=frozenset)  # attacks caught by a read one

    @property
    def precision(self) -> float | None:
        """True findings among the findings read (None when nothing was read)."""
        return self.true_alerts / self.alerts if self.alerts else None


@dataclass(frozen=True)
class PRPoint:
    """Precision and recall when every finding ranked at or above (severity, score) alerts."""

    severity: float
    score: float | None
    alerts: int
    precision: float
    recall: float


def ordered(items: Iterable[Ranked]) -> list[Ranked]:
    """Highest rank first; ties in a stable order (finding id)."""
    return sorted(items, key=lambda r: (-r.key[0], -r.key[1], r.finding_id))


def at_budget(items: Iterable[Ranked], active: Mapping[date, int], per_100: float) -> Budget:
    """The top findings of each day within `per_100` alerts per 100 principals active that day."""
    by_day: dict[date, list[Ranked]] = defaultdict(list)
    for item in items:
        by_day[item.day].append(item)
    read: list[Ranked] = []
    for day, found in by_day.items():
        capacity = math.ceil(per_100 * active.get(day, 0) / 100 - 1e-9)
        read.extend(ordered(found)[:capacity])
    caught = frozenset(a for r in read for a in r.catches)
    return Budget(per_100, len(read), sum(r.true for r in read), caught)


def pr_curve(items: Iterable[Ranked], attacks: int) -> list[PRPoint]:
    """One point per distinct rank key, from the strictest threshold to alerting on everything."""
    points: list[PRPoint] = []
    alerts = true = 0
    caught: set[str] = set()
    for key, group in groupby(ordered(items), key=lambda r: r.key):
        for item in group:
            alerts += 1
            true += item.true
            caught |= item.catches
        score = None if key[1] == -math.inf else key[1]
        recall = len(caught) / attacks if attacks else 0.0
        points.append(PRPoint(key[0], score, alerts, true / alerts, recall))
    return points


def pooled_items(runs: Mapping[str, Iterable[Ranked]]) -> list[Ranked]:
    """The items of several runs as one queue: ids and attacks prefixed by the run's name."""
    return [
        replace(
            item,
            finding_id=f"{name}/{item.finding_id}",
            catches=frozenset(f"{name}/{a}" for a in item.catches),
        )
        for name, items in runs.items()
        for item in items
    ]
