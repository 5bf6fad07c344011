"""Counting rules (`@threshold_rule`): their lake prefilter and their sliding window over keys.

A counting rule matches when one principal's events in one account carry `count` distinct keys
within `window` (models/registry.py). DuckDB keeps only the events lying in windows dense enough
to reach the count (sql/detect/threshold_candidates.sql); `windows_met` then counts the keys
the rule reads from each event, sliding the window over the principal's events in time order.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from collections.abc import Iterable
from datetime import date, datetime

import duckdb

from trailguard.models.rules.base import Event, Rule, RuleContext, Threshold
from trailguard.pipeline.sqlfiles import read_sql


def met_windows(
    con: duckdb.DuckDBPyConnection, rule: Rule, context: RuleContext, since: datetime | None
) -> list[tuple[str, date, str]]:
    """(event_id, event_date, account_id) of a counting rule's matches from `since` on: its
    candidates judged from `rule_index` alone, then counted in their windows."""
    events = [
        e for e in threshold_candidates(con, rule, context, since) if rule.matches(e, context)
    ]
    met = windows_met(rule, events, context)
    return [
        (str(e.get("event_id")), e.get("event_date"), str(e.get("account_id")))
        for e in met
        if since is None or e.get("event_time") >= since
    ]


def threshold_candidates(
    con: duckdb.DuckDBPyConnection, rule: Rule, context: RuleContext, since: datetime | None
) -> list[Event]:
    """The events a counting rule must judge, as partial rows of `rule_index` (the columns its
    key function reads; needs `rule_index`)."""
    if rule.threshold is None:
        raise ValueError(f"{rule.rule_id} is not a counting rule")
    params = {
        "since": since,
        "event_names": sorted(rule.event_names),
        "identity_types": sorted(rule.identity_types),
        "workloads_only": rule.workloads_only,
        "workloads": sorted(context.workloads),
        "window": rule.threshold.window,
        "count": rule.threshold.count,
        "per_event": rule.threshold.per_event,
        "batched": list(rule.threshold.batched),
        "by_request": rule.threshold.by_request,
    }
    cursor = con.execute(read_sql("detect/threshold_candidates.sql"), params)
    columns = [d[0] for d in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [Event(row | {"event_name": row["event_name_base"]}) for row in rows]


def windows_met(
    rule: Rule, events: Iterable[Event], context: RuleContext | None = None
) -> list[Event]:
    """The events of `rule`'s matches (in time order) that lie in a window where one principal's
    events carry at least the rule's count of distinct keys. Pure."""
    if rule.threshold is None:
        raise ValueError(f"{rule.rule_id} is not a counting rule")
    context = context or RuleContext()
    groups: dict[tuple[str, str], list[tuple[Event, list[str]]]] = defaultdict(list)
    for event in sorted(events, key=_order):
        keys = rule.keys(event, context)
        if keys:
            groups[(event.principal, str(event.account_id))].append((event, keys))
    met: list[Event] = []
    for group in groups.values():
        met.extend(_dense(group, rule.threshold))
    return sorted(met, key=_order)


Entry = tuple[datetime, Event, list[str]]  # an event in a sliding window: (time, event, keys)


def _dense(group: list[tuple[Event, list[str]]], threshold: Threshold) -> list[Event]:
    """The events of one principal that fall in a window reaching the count."""
    window: deque[Entry] = deque()
    seen: Counter[str] = Counter()
    met: dict[str, Event] = {}
    for event, keys in group:
        now = event.get("event_time")
        window.append((now, event, keys))
        seen.update(set(keys))
        while now - window[0][0] > threshold.window:
            _, _, old = window.popleft()
            seen.subtract(set(old))
            seen += Counter()  # drop the keys no event in the window carries any more
        met.update((str(e.get("event_id")), e) for _, e, _ in _counted(seen, window, threshold))
    return list(met.values())


def _counted(seen: Counter[str], window: deque[Entry], threshold: Threshold) -> list[Entry]:
    """The window's events that make a match, or none while its keys fall short of the count:
    every event of the window; with a required key, those from the time of its first event on
    (the listing, then the reads: a script's reads in the listing's own second count too,
    whatever order their ids sort in), the required key itself not counted."""
    required = threshold.requires
    if required is None:
        return list(window) if len(seen) >= threshold.count else []
    if required not in seen:
        return []
    since = min(time for time, _, keys in window if required in keys)
    counted = [entry for entry in window if entry[0] >= since]
    keys = {key for _, _, carried in counted for key in carried} - {required}
    return counted if len(keys) >= threshold.count else []


def distinct_keys(
    rule: Rule, events: Iterable[Event], context: RuleContext | None = None
) -> list[str]:
    """The distinct keys a counting rule read from `events`, sorted (its required key left out:
    it is not what was counted)."""
    context = context or RuleContext()
    required = rule.threshold.requires if rule.threshold else None
    return sorted({k for event in events for k in rule.keys(event, context) if k != required})


def _order(event: Event) -> tuple[object, str]:
    return event.get("event_time"), str(event.get("event_id"))
