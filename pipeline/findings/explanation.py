"""The parts of an anomaly's explanation in a finding's evidence: an `Observed` value of a
dimension (an API, network, user agent family, region or country) and a `FeatureContribution`,
each with how it is written to JSON; and how they are read from stored evidence in any spelling
an earlier version wrote (pipeline/findings/evidence.py).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from trailguard.pipeline.findings.json_values import JsonObject, as_list, as_number


@dataclass(frozen=True)
class Observed:
    """One value of a dimension (an API, network, user agent family, region or country), with the
    number of events it was seen in and, for an API, its category (discovery, iam_mutation...)."""

    value: str
    events: int | None = None
    category: str | None = None

    def to_json(self) -> JsonObject | str:
        """`{value, events, category}` without the unknown parts; the bare value (as profiles list
        theirs) when nothing else is known."""
        if self.events is None and self.category is None:
            return self.value
        out: JsonObject = {"value": self.value}
        if self.events is not None:
            out["events"] = self.events
        if self.category is not None:
            out["category"] = self.category
        return out


@dataclass(frozen=True)
class FeatureContribution:
    """A feature that drove an anomaly score: its value in the highest-scoring window against the
    principal's own baseline mean and its peer group's, and its deviation (signed)."""

    feature: str
    value: float | None
    principal_baseline: float | None = None
    peer_baseline: float | None = None
    deviation: float | None = None

    def to_json(self) -> JsonObject:
        """Every part, nulls included."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def contributions(value: Any) -> tuple[FeatureContribution, ...]:
    """Feature contributions, also of the older spelling {name, value, baseline, peer}."""
    return tuple(
        FeatureContribution(
            feature=str(f.get("feature", f.get("name", "feature"))),
            value=as_number(f.get("value")),
            principal_baseline=as_number(f.get("principal_baseline", f.get("baseline"))),
            peer_baseline=as_number(f.get("peer_baseline", f.get("peer"))),
            deviation=as_number(f.get("deviation")),
        )
        for f in as_list(value)
        if isinstance(f, dict)
    )


def _groups(value: Any) -> list[tuple[str | None, tuple[Observed, ...]]]:
    """(pattern or None, values) of one dimension, in any spelling: {pattern: [items]},
    {value: count}, [items] or one value; an item is {value, events} or a bare value."""
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return [(str(k), tuple(_observed(i) for i in v)) for k, v in value.items()]
    if isinstance(value, dict):  # {value: count}
        counted = (Observed(str(k), v if isinstance(v, int) else None) for k, v in value.items())
        return [(None, tuple(counted))]
    items = value if isinstance(value, list) else [value]
    return [(None, tuple(_observed(item) for item in items))]


def _observed(item: Any) -> Observed:
    if not isinstance(item, dict):
        return Observed(str(item))
    raw = next((item[k] for k in ("value", "name", "api", "asn", "ip") if k in item), item)
    count = item.get("count", item.get("events"))
    category = item.get("category")
    return Observed(
        str(raw),
        count if isinstance(count, int) else None,
        category if isinstance(category, str) else None,
    )


def observed_values(value: Any) -> tuple[Observed, ...]:
    """Every value of a dimension, whatever the pattern it is given under."""
    return tuple(o for _, group in _groups(value) for o in group)


def observed_by_pattern(value: Any) -> dict[str, tuple[Observed, ...]]:
    """A profiled dimension by pattern; values given without one are frequent."""
    return {pattern or "frequent": group for pattern, group in _groups(value) if group or pattern}


def plain_values(value: Any) -> tuple[str, ...]:
    """The bare values of a list given in any spelling (`source_ips`, `regions`...)."""
    return () if value is None else tuple(o.value for o in observed_values(value))
