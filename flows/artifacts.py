"""The Prefect artifacts of a detection run: its new and updated findings, most severe first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from prefect.artifacts import create_markdown_artifact, create_table_artifact

from trailguard.pipeline.findings.store import Finding, load_findings
from trailguard.pipeline.lake.db import open_db

WHY_CHARS = 240  # a table cell, not the whole evidence: `trailguard explain <id>` has that


def finding_revisions(lake: Path) -> dict[str, int]:
    """finding_id -> revision of every stored finding (to tell later which ones a run changed)."""
    with open_db(lake) as con:  # not read-only: the findings table may not exist yet
        return {f.finding_id: f.revision for f in load_findings(con)}


def changed_findings(lake: Path, before: Mapping[str, int]) -> list[Finding]:
    """Findings stored or changed since the `before` snapshot."""
    with open_db(lake) as con:
        return load_findings(con, after_revision=max(before.values(), default=0))


def why(finding: Finding) -> str:
    """A finding's reason in one line: the anomaly summary or the rule's explanation."""
    text = finding.evidence.summary or finding.evidence.why or finding.description
    line = " ".join(text.split())
    return line if len(line) <= WHY_CHARS else line[: WHY_CHARS - 1] + "…"


def findings_table(
    findings: Sequence[Finding], before: Mapping[str, int], top: int
) -> list[dict[str, Any]]:
    """The `top` findings by severity (then last seen), as artifact table rows."""
    ranked = sorted(findings, key=lambda f: (-f.severity, -f.last_seen.timestamp(), f.finding_id))
    return [
        {
            "severity": f"{f.severity:.1f} {f.severity_label}",
            "change": "updated" if f.finding_id in before else "new",
            "type": f.type,
            "principal": f.principal,
            "account": f.account_id or "",
            "events": f.event_count,
            "last_seen": f.last_seen.isoformat(timespec="seconds"),
            "why": why(f),
            "finding_id": f.finding_id,
        }
        for f in ranked[:top]
    ]


def findings_markdown(rows: Sequence[Mapping[str, Any]], total: int, lake: Path) -> str:
    """A short summary of the run's findings for the flow run page."""
    if not total:
        return f"# No new or updated findings\n\nLake `{lake}`."
    high = sum(str(r["severity"]).endswith("High") for r in rows)
    lines = [
        f"# {total} new or updated findings",
        "",
        f"Lake `{lake}`; the {len(rows)} most severe are listed ({high} High).",
        "Details: `trailguard explain <finding_id>`.",
        "",
    ]
    lines += [f"- **{r['severity']}** `{r['type']}` {r['principal']}: {r['why']}" for r in rows]
    return "\n".join(lines)


def publish_findings(
    findings: Sequence[Finding], before: Mapping[str, int], *, lake: Path, top: int
) -> None:
    """Attach the run's findings to the flow run as a table and a markdown artifact."""
    rows = findings_table(findings, before, top)
    create_table_artifact(
        rows or [{"severity": "", "why": "no new or updated findings"}],
        key="trailguard-findings",
        description=f"{len(findings)} new or updated findings; top {len(rows)} by severity",
    )
    create_markdown_artifact(
        findings_markdown(rows, len(findings), lake),
        key="trailguard-findings-summary",
        description="new and updated findings of this run",
    )
