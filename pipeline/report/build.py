"""`trailguard report`: one self-contained HTML page about a lake and its findings.

It reads the active findings (archived ones are counted), the lake at a glance
(sql/report/lake_summary.sql), each finding's timeline (its principal's events per bucket across
its span widened by a day, sql/report/timeline.sql) and its events (an exact rule's matching
events by id, an anomaly's window: sql/report/window_events.sql), the latest model's scores of
every feature window, and, given a `labels.json`, which labelled scenario each finding matches
and the evaluation. Like detection, it computes in an in-memory DuckDB over the Parquet and
holds the lake's database only for one short read. Rendering is pure: pipeline/report/html.py.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.models.isolation_forest import (
    ModelInfo,
    ModelMismatch,
    UntrustedModel,
    latest_model,
    load_model,
)
from trailguard.pipeline.detect import anomaly
from trailguard.pipeline.detect.rule_findings import events_by_id
from trailguard.pipeline.evaluation.evaluate import Evaluation, Scenario, overlaps
from trailguard.pipeline.evaluation.labels import evaluate_lake, read_labels
from trailguard.pipeline.evaluation.scorecard import report
from trailguard.pipeline.features.build import load_features
from trailguard.pipeline.features.enrich import IP_INFO_SCHEMA
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import FindingFilter, list_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.views import open_lake_reader
from trailguard.pipeline.report.html import to_html
from trailguard.pipeline.sqlfiles import read_sql

REPORT = "report.html"
CONTEXT = timedelta(days=1)  # shown on each side of a finding
SHORT = timedelta(days=1)  # a shown span this short gets ten-minute buckets
HOUR, TEN_MINUTES = timedelta(hours=1), timedelta(minutes=10)
MAX_EVENTS = 10  # listed per finding (the lake and `trailguard explain` hold the rest)


@dataclass(frozen=True)
class LakeSummary:
    """The lake at a glance."""

    first_event: datetime
    last_event: datetime
    events: int
    principals: int
    accounts: int


@dataclass(frozen=True)
class Span:
    """The time a finding's timeline shows: [start, end) in buckets of `step`."""

    start: datetime
    end: datetime
    step: timedelta

    def buckets(self) -> list[datetime]:
        """The start of every bucket."""
        count = int((self.end - self.start) / self.step)
        return [self.start + i * self.step for i in range(count)]


@dataclass(frozen=True)
class EventRow:
    """One listed event of a finding."""

    time: datetime
    api: str
    source_ip: str | None
    user_agent: str | None
    error: str | None


@dataclass
class FindingReport:
    """A finding with what its section shows."""

    finding: Finding
    span: Span
    label: str | None = None  # the labelled scenario it matches; None without labels
    counts: dict[datetime, tuple[int, int]] = field(default_factory=dict)  # (events, errors)
    events: list[EventRow] = field(default_factory=list)
    events_total: int = 0


@dataclass(frozen=True)
class Scores:
    """The latest model's scores of every feature window, and of the flagged ones."""

    model: ModelInfo | None
    scores: list[float]
    flagged: list[float]
    note: str | None = None  # why there is no distribution


@dataclass(frozen=True)
class ReportData:
    """Everything the page shows."""

    lake: Path
    generated_at: datetime
    summary: LakeSummary
    findings: list[FindingReport]
    archived: int
    scores: Scores
    evaluation: (
        str | None
    )  # trailguard.pipeline.evaluation.evaluate.report's text, when labels were given


def write_report(
    lake: Path, out: Path, *, labels: Path | None = None, evaluation: Evaluation | None = None
) -> Path:
    """Write the HTML report of `lake` to `out`; with `labels`, findings are matched to them
    (and evaluated against them, unless the caller already did: `evaluation`)."""
    html = to_html(read_report(lake, labels, evaluation))
    out.parent.mkdir(parents=True, exist_ok=True)
    write_private(out, html)
    return out


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` readable by its owner only (0600, whatever the umask, and an
    earlier file's looser mode is tightened): the report quotes the audit trail."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


def read_report(
    lake: Path, labels: Path | None = None, evaluation: Evaluation | None = None
) -> ReportData:
    """Read everything the report shows from the lake (and the labels)."""
    with open_db(lake, read_only=True) as con:
        stored = list_findings(con, FindingFilter(status=None, limit=2**62))
        features = load_features(con) if _has_table(con, "features") else None
        ip_info = _ip_info(con) if _has_table(con, "ip_info") else IP_INFO_SCHEMA.empty_table()
        if labels and evaluation is None:
            evaluation = evaluate_lake(con, labels)
    scenarios = read_labels(labels) if labels else None
    active = sorted(
        (f for f in stored if f.status == "active"),
        key=lambda f: (-f.severity, f.first_seen, f.finding_id),
    )
    # No footer cache: the report holds no lock, and an ingest may rewrite files meanwhile.
    with open_lake_reader(lake, metadata_cache=False) as mem:  # LakeEmpty: run ingest first
        mem.register("ip_info", ip_info)  # events_by_id.sql joins it
        summary = read_summary(mem)
        items = [
            FindingReport(f, timeline_span(f, summary), label_of(f, scenarios)) for f in active
        ]
        read_findings_activity(mem, items)
    return ReportData(
        lake=lake,
        generated_at=datetime.now(UTC),
        summary=summary,
        findings=items,
        archived=len(stored) - len(active),
        scores=read_scores(lake, features),
        evaluation=report(evaluation) if evaluation is not None else None,
    )


def _ip_info(con: duckdb.DuckDBPyConnection) -> pa.Table:
    return con.sql("SELECT * FROM ip_info").to_arrow_table()


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    sql = "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name"
    return bool(con.execute(sql, {"name": name}).fetchall()[0][0])


def read_summary(mem: duckdb.DuckDBPyConnection) -> LakeSummary:
    """Span, events, principals and accounts of the lake (needs the `events` view)."""
    row = mem.execute(read_sql("report/lake_summary.sql")).fetchall()[0]
    return LakeSummary(*row)


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


def label_of(finding: Finding, scenarios: list[Scenario] | None) -> str | None:
    """What the labels say the finding is: an attack, a hard negative, or none (None: no labels)."""
    if scenarios is None:
        return None
    hits = [s for s in scenarios if overlaps(finding, s)]
    attacks = [s for s in hits if s.kind == "attack"]
    if attacks:
        return "attack: " + ", ".join(f"{s.technique} ({s.id})" for s in attacks)
    if hits:
        return "hard negative: " + ", ".join(f"{s.technique} ({s.id})" for s in hits)
    return "none"


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


def read_scores(lake: Path, features: pa.Table | None) -> Scores:
    """Score every feature window with the latest model, and flag them as detection does."""
    info = latest_model(lake)
    if info is None:
        return Scores(None, [], [], "no model trained yet: rules only (run `trailguard train`)")
    if features is None or features.num_rows == 0:
        return Scores(info, [], [], "no feature windows yet (run `trailguard features`)")
    try:
        model = load_model(info, anomaly.model_columns(features))
    except (ModelMismatch, UntrustedModel) as exc:
        return Scores(info, [], [], f"the model cannot score these features: {exc}")
    scores = model.score(anomaly.matrix(features, model.feature_names_))
    lake_start: datetime = pc.min(features.column("window_start")).as_py()
    flagged = [w.score for w in anomaly.flag(model, features, lake_start)]
    return Scores(info, [float(s) for s in scores], flagged)
