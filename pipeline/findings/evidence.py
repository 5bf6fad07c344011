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

The explanation's parts (`Observed`, `FeatureContribution`) and their older spellings are in
pipeline/findings/explanation.py; the tolerant reading of single JSON values in
pipeline/findings/json_values.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any

import orjson

from trailguard.pipeline.findings.explanation import (
    FeatureContribution,
    Observed,
    contributions,
    observed_by_pattern,
    observed_values,
    plain_values,
)
from trailguard.pipeline.findings.json_values import (
    JsonObject,
    as_flag,
    as_integer,
    as_list,
    as_moment,
    as_number,
    as_object,
    as_text,
    is_count,
)


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
            event = cls(event_id=as_text(value))
            object.__setattr__(event, "_stored", as_text(value))
            return event
        event = cls(
            event_id=as_text(value.get("event_id")),
            event_time=as_moment(value.get("event_time")),
            event_name=as_text(value.get("event_name")),
            event_source=as_text(value.get("event_source")),
            source_ip_address=as_text(value.get("source_ip_address")),
            error_code=as_text(value.get("error_code")),
            request_parameters=as_object(value.get("request_parameters")) or None,
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
            summary=as_text(data.get("summary")),
            score=as_number(data.get("score")),
            windows=tuple(str(w) for w in as_list(data.get("windows"))),
            cold_start=as_flag(data.get("cold_start")),
            peer_group=as_text(data.get("peer_group")),
            history_days=as_number(data.get("history_days")),
            top_features=contributions(data.get("top_features") or data.get("features")),
            unusual={str(k): observed_values(v) for k, v in as_object(data.get("unusual")).items()},
            profile={
                str(k): observed_by_pattern(v)
                for k, v in as_object(data.get("profile") or data.get("profiled")).items()
            },
            sensitive_calls={
                str(k): v for k, v in as_object(data.get("sensitive_calls")).items() if is_count(v)
            },
            source_ips=plain_values(data.get("source_ips")),
            user_agents=plain_values(data.get("user_agents")),
            regions=plain_values(data.get("regions")),
            threshold=as_number(data.get("threshold")),
            rule=as_text(data.get("rule")),
            why=as_text(data.get("why")),
            events=tuple(SampleEvent.from_json(e) for e in as_list(data.get("events"))),
            events_omitted=as_integer(data.get("events_omitted")),
            suppressed=as_text(data.get("suppressed")),
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
