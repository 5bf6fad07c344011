"""`trailguard report`: one self-contained HTML page about a lake and its findings.

It reads the active findings (archived ones are counted), the lake at a glance
(sql/report/lake_summary.sql), each finding's timeline (its principal's events per bucket across
its span widened by a day, sql/report/timeline.sql) and its events (an exact rule's matching
events by id, an anomaly's window: sql/report/window_events.sql), the latest model's scores of
every feature window, and, given a `labels.json`, which labelled scenario each finding matches
and the evaluation. Like detection, it computes in an in-memory DuckDB over the Parquet and
holds the lake's database only for one short read. Rendering is pure: pipeline/report/html.py.
What the page shows is `ReportData` (pipeline/report/data.py); each finding's timeline and events
are read by pipeline/report/activity.py.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.models.isolation_forest import (
    ModelMismatch,
    UntrustedModel,
    latest_model,
    load_model,
)
from trailguard.pipeline.detect import anomaly
from trailguard.pipeline.evaluation.evaluate import Evaluation, Scenario, overlaps
from trailguard.pipeline.evaluation.labels import evaluate_lake, read_labels
from trailguard.pipeline.evaluation.scorecard import report
from trailguard.pipeline.features.build import load_features
from trailguard.pipeline.features.enrich import IP_INFO_SCHEMA
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import FindingFilter, list_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.views import open_lake_reader
from trailguard.pipeline.report.activity import read_findings_activity, timeline_span
from trailguard.pipeline.report.data import FindingReport, LakeSummary, ReportData, Scores
from trailguard.pipeline.report.html import to_html
from trailguard.pipeline.sqlfiles import read_sql

REPORT = "report.html"


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
