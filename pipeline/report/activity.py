"""Each finding's activity in the report: the span its timeline shows, its principal's events
per bucket across it (sql/report/timeline.sql), and the events listed under it (an exact rule's
matching events by id, an anomaly's window: sql/report/window_events.sql).

Read for all findings at once, in the in-memory DuckDB over the lake's Parquet that
`pipeline.report.build` opens.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from trailguard.pipeline.detect.rule_findings import events_by_id
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.report.data import EventRow, FindingReport, LakeSummary, Span
from trailguard.pipeline.sqlfiles import read_sql

CONTEXT = timedelta(days=1)  # shown on each side of a finding
SHORT = timedelta(days=1)  # a shown span this short gets ten-minute buckets
HOUR, TEN_MINUTES = timedelta(hours=1), timedelta(minutes=10)
MAX_EVENTS = 10  # listed per finding (the lake and `trailguard explain` hold the rest)


def timeline_span(finding: Finding, lake: LakeSummary) -> Span:
    """The finding's span widened by CONTEXT each side, within the lake, in whole buckets."""
    start = min(max(finding.first_seen - CONTEXT, lake.first_event), finding.first_seen)
    end = max(min(finding.last_seen + CONTEXT, lake.last_event), finding.last_seen)
    step = TEN_MINUTES if end - start <= SHORT else HOUR
    return Span(floor_to(start, step), floor_to(end, step) + step, step)


def floor_to(moment: datetime, step: timedelta) -> datetime:
    """The start of the epoch-aligned bucket of width `step` holding `moment` (UTC)."""
    seconds = step.total_seconds()
    return datetime.fromtimestamp(math.floor(moment.timestamp() / seconds) * seconds, UTC)


def read_findings_activity(mem: duckdb.DuckDBPyConnection, items: list[FindingReport]) -> None:
    """Fill each finding's timeline counts and listed events (one scan each, all findings)."""
    if not items:
        return
    mem.register("report_spans", _spans_table(items))
    by_id = {item.finding.finding_id: item for item in items}
    for fid, bucket, events, errors in mem.execute(read_sql("report/timeline.sql")).fetchall():
        by_id[fid].counts[bucket] = (int(events), int(errors))
    rule_ids = {fid: ids for fid, item in by_id.items() if (ids := matched_ids(item.finding))}
    _read_matched_events(mem, [by_id[fid] for fid in rule_ids], rule_ids)
    rows = mem.execute(read_sql("report/window_events.sql"), {"limit": MAX_EVENTS}).fetchall()
    for fid, time, source, name, ip, agent, error, total in rows:
        if fid not in rule_ids:
            by_id[fid].events.append(EventRow(time, _api(source, name), ip, agent, error))
            by_id[fid].events_total = int(total)
    mem.unregister("report_spans")


def _spans_table(items: list[FindingReport]) -> pa.Table:
    return pa.table(
        {
            "finding_id": [i.finding.finding_id for i in items],
            "principal": [i.finding.principal for i in items],
            "account_id": [i.finding.account_id for i in items],
            "first_seen": [i.finding.first_seen for i in items],
            "last_seen": [i.finding.last_seen for i in items],
            "shown_start": [i.span.start for i in items],
            "shown_end": [i.span.end for i in items],
            "step_seconds": [i.span.step.total_seconds() for i in items],
        }
    )


def matched_ids(finding: Finding) -> list[str]:
    """Ids of the events an exact rule matched (from its evidence; empty for anomalies)."""
    return [e.event_id for e in finding.evidence.events if e.event_id]


def _read_matched_events(
    mem: duckdb.DuckDBPyConnection, items: list[FindingReport], ids: dict[str, list[str]]
) -> None:
    wanted = sorted({i for ids_of in ids.values() for i in ids_of})
    found = events_by_id(mem, wanted, _partitions([item.finding for item in items]))
    for item in items:
        rows = [found[i].row for i in ids[item.finding.finding_id] if i in found]
        item.events = [_event_row(row) for row in rows[:MAX_EVENTS]]
        item.events_total = item.finding.event_count


def _partitions(findings: list[Finding]) -> set[tuple[date, str]] | None:
    """The lake partitions the rule findings' events lie in: each one's account on each UTC day of
    its span (the lake is partitioned by the event's UTC date); None (every partition) when a
    finding names no account."""
    partitions: set[tuple[date, str]] = set()
    for finding in findings:
        if finding.account_id is None:
            return None
        first = finding.first_seen.astimezone(UTC).date()
        days = (finding.last_seen.astimezone(UTC).date() - first).days
        partitions.update((first + timedelta(n), finding.account_id) for n in range(days + 1))
    return partitions


def _event_row(row: Any) -> EventRow:
    return EventRow(
        row["event_time"],
        _api(row["event_source"], row["event_name"]),
        row["source_ip_address"],
        row["user_agent"],
        row["error_code"],
    )


def _api(source: str | None, name: str | None) -> str:
    """`iam:CreateUser` from eventSource and eventName, as the evidence names APIs."""
    return f"{(source or '?').split('.', 1)[0]}:{name or '?'}"
