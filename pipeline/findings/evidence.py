"""A finding's evidence, typed: what detectors write and exporters, the report and views read.

A detector builds an `Evidence`; anything it has that no field names goes in `extra`, so nothing
is dropped. The anomaly model (pipeline/detect/explain.py) fills the explanation: `summary`,
`top_features`, the `unusual` values of each dimension (apis, networks, user_agents, regions,
countries) against the principal's `profile` (frequent / infrequent / rare, as GuardDuty buckets
it). An exact rule (pipeline/detect/rule_findings.py) gives `rule`, `why` and sample `events`.
Both name the finding's `source_ips`, `user_agents` and `regions`.

The store writes evidence as one JSON object (`to_json_text`) and reads it back
(`from_json_text`). Reading is tolerant of older JSON: the spellings `profiled` (for `profile`)
and `features` ({name, value, baseline, peer}, for `top_features`), plain values or
{value: count} objects instead of {value, events} items, and events given by id alone. Evidence
read from JSON is written back exactly as read (key order, spellings, nulls): stored evidence
must not change for the same finding.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import orjson

JsonObject = dict[str, Any]


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


@dataclass(frozen=True)
class SampleEvent:
    """A CloudTrail event behind a finding (an exact rule's match), as its evidence lists it."""

    event_id: str | None = None
    event_time: datetime | None = None
    event_name: str | None = None
    event_source: str | None = None
    # An address, or the AWS service that acted for the principal (`lambda.amazonaws.com`).
    source_ip_address: str | None = None
    error_code: str | None = None
    request_parameters: JsonObject | None = None
    extra: JsonObject = field(default_factory=dict)
    _stored: JsonObject | str | None = field(default=None, init=False, repr=False, compare=False)

    def to_json(self) -> JsonObject | str:
        """The event as stored (an object, or the bare id older evidence gave); every part of a new
        one, nulls included."""
        if self._stored is not None:
            return self._stored
        built = {name: getattr(self, name) for name in _EVENT_FIELDS}
        return built | self.extra

    @classmethod
    def from_json(cls, value: Any) -> SampleEvent:
        """Read an event summary, or an event id alone."""
        if not isinstance(value, dict):
            event = cls(event_id=_text(value))
            object.__setattr__(event, "_stored", _text(value))
            return event
        event = cls(
            event_id=_text(value.get("event_id")),
            event_time=_moment(value.get("event_time")),
            event_name=_text(value.get("event_name")),
            event_source=_text(value.get("event_source")),
            source_ip_address=_text(value.get("source_ip_address")),
            error_code=_text(value.get("error_code")),
            request_parameters=_object(value.get("request_parameters")) or None,
            extra={k: v for k, v in value.items() if k not in _EVENT_FIELDS},
        )
        object.__setattr__(event, "_stored", value)
        return event


_EVENT_FIELDS = tuple(f.name for f in fields(SampleEvent) if f.name not in ("extra", "_stored"))


@dataclass(frozen=True, kw_only=True)
class Evidence:
    """Why a finding was raised. The fields' order is the JSON's key order (see `key_order`)."""

    # The anomaly model's explanation
    summary: str | None = None  # one sentence: what was new for the principal
    score: float | None = None
    windows: tuple[str, ...] = ()  # starts of the flagged hours (ISO 8601)
    cold_start: bool | None = None  # the principal had too little history for a baseline
    peer_group: str | None = None
    history_days: float | None = None
    top_features: tuple[FeatureContribution, ...] = ()
    unusual: dict[str, tuple[Observed, ...]] = field(default_factory=dict)  # dimension -> new
    # dimension -> frequent / infrequent / rare -> values
    profile: dict[str, dict[str, tuple[Observed, ...]]] = field(default_factory=dict)
    sensitive_calls: dict[str, int] = field(default_factory=dict)  # API category -> calls
    # Where the activity came from (every detector)
    source_ips: tuple[str, ...] = ()  # addresses, or service names (see SampleEvent)
    user_agents: tuple[str, ...] = ()
    regions: tuple[str, ...] = ()
    threshold: float | None = None  # the model's score threshold
    # An exact rule's match
    rule: str | None = None
    why: str | None = None  # what the rule means
    events: tuple[SampleEvent, ...] = ()
    events_omitted: int | None = None  # matches beyond the sample in `events`
    # Why the finding was archived (sql/detect/archive.sql adds it in the store)
    suppressed: str | None = None
    extra: JsonObject = field(default_factory=dict)  # whatever else a detector writes
    # Keys written first, in this order, even when empty or null: a detector whose stored JSON
    # has a set shape names its keys. Other fields are written when set, then `extra`.
    key_order: tuple[str, ...] = field(default=(), compare=False, repr=False)
    _stored: JsonObject | None = field(default=None, init=False, repr=False, compare=False)

    def to_json(self) -> JsonObject:
        """The JSON object the store writes (datetimes of sample events are left to orjson)."""
        if self._stored is not None:
            return dict(self._stored)
        values = {name: _plain(getattr(self, name)) for name in _FIELDS}
        written = [k for k in self.key_order if k in values or k in self.extra]
        written += [k for k in _FIELDS if k not in written and _is_set(getattr(self, k))]
        out = {k: values[k] if k in values else self.extra[k] for k in written}
        out.update((k, v) for k, v in self.extra.items() if k not in out)
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Evidence:
        """Read stored evidence, older spellings included; it is written back unchanged."""
        read = cls(
            summary=_text(data.get("summary")),
            score=_number(data.get("score")),
            windows=tuple(str(w) for w in _list(data.get("windows"))),
            cold_start=_flag(data.get("cold_start")),
            peer_group=_text(data.get("peer_group")),
            history_days=_number(data.get("history_days")),
            top_features=_features(data.get("top_features") or data.get("features")),
            unusual={str(k): _all(v) for k, v in _object(data.get("unusual")).items()},
            profile={
                str(k): _by_pattern(v)
                for k, v in _object(data.get("profile") or data.get("profiled")).items()
            },
            sensitive_calls={
                str(k): v for k, v in _object(data.get("sensitive_calls")).items() if _is_count(v)
            },
            source_ips=_values(data.get("source_ips")),
            user_agents=_values(data.get("user_agents")),
            regions=_values(data.get("regions")),
            threshold=_number(data.get("threshold")),
            rule=_text(data.get("rule")),
            why=_text(data.get("why")),
            events=tuple(SampleEvent.from_json(e) for e in _list(data.get("events"))),
            events_omitted=_integer(data.get("events_omitted")),
            suppressed=_text(data.get("suppressed")),
        )
        evidence = dataclasses.replace(read, extra=_unread(data, read))
        object.__setattr__(evidence, "_stored", dict(data))
        return evidence


_FIELDS = tuple(f.name for f in fields(Evidence) if f.name not in ("extra", "key_order", "_stored"))
_READ = frozenset(_FIELDS) | {"profiled", "features"}  # older spellings, read as the new ones


def _unread(data: Mapping[str, Any], read: Evidence) -> JsonObject:
    """What no field holds, kept as `extra`: keys no field names, and values a field cannot hold
    (a counting rule's `threshold` is an object, not the model's score threshold)."""
    return {
        k: v
        for k, v in data.items()
        if k not in _READ or (k in _FIELDS and v and not getattr(read, k))
    }


def to_json_text(evidence: Evidence) -> str:
    """The JSON text of the findings table's `evidence` column."""
    return orjson.dumps(evidence.to_json(), default=str).decode()


def from_json_text(text: str | None) -> Evidence:
    """Evidence from the findings table's `evidence` column (empty when there is none)."""
    return Evidence.from_json(orjson.loads(text) if text else {})


def _plain(value: Any) -> Any:
    if isinstance(value, Observed | FeatureContribution | SampleEvent):
        return value.to_json()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _is_set(value: Any) -> bool:
    return value is not None and value != () and value != {}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _number(value: Any) -> float | None:
    return value if isinstance(value, int | float) else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _integer(value: Any) -> int | None:
    return value if _is_count(value) else None


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _object(value: Any) -> JsonObject:
    return value if isinstance(value, dict) else {}


def _features(value: Any) -> tuple[FeatureContribution, ...]:
    """Feature contributions, also of the older spelling {name, value, baseline, peer}."""
    return tuple(
        FeatureContribution(
            feature=str(f.get("feature", f.get("name", "feature"))),
            value=_number(f.get("value")),
            principal_baseline=_number(f.get("principal_baseline", f.get("baseline"))),
            peer_baseline=_number(f.get("peer_baseline", f.get("peer"))),
            deviation=_number(f.get("deviation")),
        )
        for f in _list(value)
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


def _all(value: Any) -> tuple[Observed, ...]:
    return tuple(o for _, group in _groups(value) for o in group)


def _by_pattern(value: Any) -> dict[str, tuple[Observed, ...]]:
    """A profiled dimension by pattern; values given without one are frequent."""
    return {pattern or "frequent": group for pattern, group in _groups(value) if group or pattern}


def _values(value: Any) -> tuple[str, ...]:
    return () if value is None else tuple(o.value for o in _all(value))
