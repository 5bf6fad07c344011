"""Reading findings for people: filtered lists and a readable rendering of one finding."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from trailguard.pipeline.findings.evidence import Evidence, from_json_text
from trailguard.pipeline.findings.explanation import Observed
from trailguard.pipeline.findings.store import Finding, has_findings_table
from trailguard.pipeline.sqlfiles import read_sql

SEVERITY_FLOOR = {"low": 1.0, "medium": 4.0, "high": 7.0}


@dataclass(frozen=True)
class FindingFilter:
    """Filters of `trailguard findings`; None means any."""

    min_severity: float | None = None
    type: str | None = None  # glob
    principal: str | None = None  # glob
    since: datetime | None = None
    status: str | None = "active"
    limit: int = 100


def list_findings(con: duckdb.DuckDBPyConnection, where: FindingFilter) -> list[Finding]:
    """Findings matching `where`: the most severe first, then the most recent activity."""
    if not has_findings_table(con):
        return []
    params = {
        "min_severity": where.min_severity,
        "type": where.type,
        "principal": where.principal,
        "since": where.since,
        "status": where.status,
        "limit": where.limit,
    }
    cursor = con.execute(read_sql("detect/list_findings.sql"), params)
    columns = [d[0] for d in cursor.description or []]
    return [_finding(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def get_finding(con: duckdb.DuckDBPyConnection, finding_id: str) -> Finding | None:
    """One finding by id (or unique id prefix), or None."""
    if not has_findings_table(con):
        return None
    cursor = con.execute(
        "SELECT * FROM findings WHERE starts_with(finding_id, $id) ORDER BY finding_id LIMIT 2",
        {"id": finding_id},
    )
    columns = [d[0] for d in cursor.description or []]
    rows = cursor.fetchall()
    return _finding(dict(zip(columns, rows[0], strict=True))) if len(rows) == 1 else None


def _finding(row: dict[str, Any]) -> Finding:
    row["evidence"] = from_json_text(row["evidence"])
    return Finding(**row)


def render(finding: Finding) -> str:
    """A finding as text an analyst reads top to bottom: what, who, when, why."""
    lines = [
        f"{finding.title}",
        f"  id          {finding.finding_id}",
        f"  type        {finding.type}",
        f"  severity    {finding.severity} ({finding.severity_label})   status {finding.status}",
        f"  principal   {finding.principal}   account {finding.account_id}",
        f"  seen        {finding.first_seen} .. {finding.last_seen}   events {finding.event_count}",
        f"  detector    {finding.detector}"
        + (f"   model {finding.model_version}   score {finding.score}" if finding.score else ""),
    ]
    if finding.status_by:
        lines.append(
            f"  decided     {finding.status} by {finding.status_by} at {finding.status_at}:"
            f" {finding.status_reason}"
        )
    lines += ["", finding.description]
    lines += render_evidence(finding.evidence)
    return "\n".join(lines)


def render_evidence(evidence: Evidence, omit: Collection[str] = ()) -> list[str]:
    """The evidence's lines of `render`: features against baselines, unusual against profiled,
    then the rest as JSON (but the keys in `omit`)."""
    lines: list[str] = []
    if evidence.top_features:
        lines += ["", "What drove the score (value | principal baseline | peer baseline):"]
        for item in evidence.top_features:
            deviation = "" if item.deviation is None else f"   (deviation {item.deviation:+})"
            lines.append(
                f"  {item.feature:<24} {_cell(item.value, 10)} | {_num(item.principal_baseline)}"
                f" | {_num(item.peer_baseline)}{deviation}"
            )
    for name, new in evidence.unusual.items():
        profile = evidence.profile.get(name, {})
        if not new and not any(profile.values()):
            continue
        lines += ["", f"{name.replace('_', ' ').capitalize()}:"]
        shown = ", ".join(_counted(v) for v in new[:15]) or "-"
        lines.append(f"  unusual     {shown}")
        for label in ("frequent", "infrequent", "rare"):
            values = profile.get(label, ())
            if values:
                lines.append(f"  {label:<11} {', '.join(v.value for v in values[:12])}")
    rest = {k: v for k, v in evidence.to_json().items() if k not in _SHOWN and k not in omit}
    if rest:
        lines += ["", "Details:", json.dumps(rest, indent=2, default=str)]
    return lines


# Shown above (`profiled` and `features` are older spellings of `profile` and `top_features`).
_SHOWN = frozenset(["top_features", "features", "unusual", "profile", "profiled", "summary"])


def _counted(value: Observed) -> str:
    return value.value if value.events is None else f"{value.value} ({value.events})"


def _cell(value: object, width: int) -> str:
    return f"{'-' if value is None else value:>{width}}"


def _num(value: object) -> str:
    return "-" if value is None else f"{value:>8}"


def ids_starting_with(
    con: duckdb.DuckDBPyConnection, prefix: str, limit: int
) -> tuple[int, list[str]]:
    """How many findings' ids start with `prefix`, and the first `limit` of them."""
    if not has_findings_table(con):
        return 0, []
    rows = con.execute(
        "SELECT finding_id, count(*) OVER () FROM findings WHERE starts_with(finding_id, $id)"
        " ORDER BY finding_id LIMIT $limit",
        {"id": prefix, "limit": limit},
    ).fetchall()
    return (int(rows[0][1]) if rows else 0), [str(r[0]) for r in rows]
