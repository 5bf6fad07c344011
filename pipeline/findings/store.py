"""The Finding type (what every detector produces, every exporter consumes) and its store."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from trailguard.pipeline.findings.evidence import Evidence, from_json_text, to_json_text
from trailguard.pipeline.sqlfiles import read_sql
from trailguard.pipeline.transaction import transaction

SEVERITY_LOW_MAX = 3.9
SEVERITY_MEDIUM_MAX = 6.9
# GuardDuty keeps Critical (9.0-10.0) for attack sequences: only
# pipeline/detect/sequence_findings.py raises a finding above High's 8.9.
SEVERITY_CRITICAL_MIN = 9.0


def severity_label(severity: float) -> str:
    """GuardDuty's label for a severity: Low 1.0-3.9, Medium 4.0-6.9, High 7.0-8.9, Critical
    9.0-10.0 (attack sequences only)."""
    if severity <= SEVERITY_LOW_MAX:
        return "Low"
    if severity <= SEVERITY_MEDIUM_MAX:
        return "Medium"
    return "High" if severity < SEVERITY_CRITICAL_MIN else "Critical"


def finding_id(detector: str, principal: str, episode: str) -> str:
    """Stable id of a finding: the same detector, principal and episode always hash the same."""
    digest = hashlib.sha256(f"{detector}\x1f{principal}\x1f{episode}".encode()).hexdigest()
    return digest[:32]


@dataclass(frozen=True)
class Finding:
    """One finding, GuardDuty-like; `evidence` explains it (pipeline/findings/evidence.py)."""

    finding_id: str
    type: str
    severity: float
    title: str
    description: str
    account_id: str | None
    principal: str
    region: str | None
    first_seen: datetime
    last_seen: datetime
    event_count: int
    detector: str
    evidence: Evidence
    score: float | None = None
    model_version: str | None = None
    status: str = "active"
    created_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 1
    revision: int = 0  # global change counter, set by the store (exporters' cursor)
    sequence_id: str | None = None  # the attack sequence it belongs to (pipeline/detect/sequences)
    # The latest triage decision (pipeline/findings/triage.py): why, who (a person, or
    # `suppression`) and when; None while nobody has decided.
    status_reason: str | None = None
    status_by: str | None = None
    status_at: datetime | None = None

    @property
    def severity_label(self) -> str:
        """Low, Medium, High or Critical."""
        return severity_label(self.severity)


@dataclass(frozen=True)
class UpsertStats:
    """What an upsert did: new findings, updated ones, and ones that had not changed."""

    created: int
    updated: int
    unchanged: int


def ensure_findings_table(con: duckdb.DuckDBPyConnection) -> None:
    """Create the findings table (and its revision sequence) if missing."""
    con.execute(read_sql("findings/schema.sql"))


def has_findings_table(con: duckdb.DuckDBPyConnection) -> bool:
    """True once a detection run has created the findings table."""
    return has_table(con, "findings")


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the database has table `name` (a read-only connection cannot create one)."""
    found = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = $name", {"name": name}
    ).fetchall()
    return bool(found[0][0])


def upsert_findings(
    con: duckdb.DuckDBPyConnection, findings: Sequence[Finding], now: datetime | None = None
) -> UpsertStats:
    """Insert new findings, update changed ones, in one transaction (sql/findings/insert.sql,
    upsert.sql)."""
    ensure_findings_table(con)
    now = now or datetime.now(UTC)
    insert, upsert = read_sql("findings/insert.sql"), read_sql("findings/upsert.sql")
    ids = sorted({f.finding_id for f in findings})
    with transaction(con):
        before = _revisions(con, ids)
        stored = set(before)  # a finding twice in one batch: inserted, then upserted
        for finding in findings:
            con.execute(upsert if finding.finding_id in stored else insert, _params(finding, now))
            stored.add(finding.finding_id)
        after = _revisions(con, ids)
    created = sum(1 for i in ids if i not in before)
    updated = sum(1 for i in ids if i in before and after[i] != before[i])
    return UpsertStats(created, updated, len(findings) - created - updated)


def _revisions(con: duckdb.DuckDBPyConnection, ids: list[str]) -> dict[str, int]:
    """finding_id -> revision of those of `ids` already stored (one query for the batch)."""
    rows = con.execute(
        "SELECT finding_id, revision FROM findings WHERE list_contains($ids, finding_id)",
        {"ids": ids},
    ).fetchall()
    return {finding: revision for finding, revision in rows}


def _params(finding: Finding, now: datetime) -> dict[str, Any]:
    values = {name: getattr(finding, name) for name in _UPSERT_FIELDS}
    values["evidence"] = to_json_text(finding.evidence)
    values["now"] = now
    return values


_UPSERT_FIELDS = (
    "finding_id",
    "type",
    "severity",
    "title",
    "description",
    "account_id",
    "principal",
    "region",
    "first_seen",
    "last_seen",
    "event_count",
    "score",
    "detector",
    "model_version",
)


def load_findings(
    con: duckdb.DuckDBPyConnection, *, after_revision: int = 0, limit: int | None = None
) -> list[Finding]:
    """Findings whose revision is above `after_revision`, oldest change first."""
    if not has_findings_table(con):  # works on read-only connections to a fresh lake too
        return []
    cursor = con.execute(
        "SELECT * FROM findings WHERE revision > $after ORDER BY revision LIMIT $limit",
        {"after": after_revision, "limit": limit if limit is not None else 2**62},
    )
    columns = [d[0] for d in cursor.description or []]
    return [_finding_from_row(dict(zip(columns, row, strict=True))) for row in cursor.fetchall()]


def _finding_from_row(row: dict[str, Any]) -> Finding:
    row["evidence"] = from_json_text(row["evidence"])
    return Finding(**row)
