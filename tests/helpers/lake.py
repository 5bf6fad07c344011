"""A lake holding given findings, and what an export destination received, for export tests."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from trailguard.pipeline.findings.store import Finding, load_findings, upsert_findings
from trailguard.pipeline.lake.db import open_db


def store(lake: Path, findings: Sequence[Finding]) -> list[Finding]:
    """Upsert `findings` into the lake's store; return the whole store as it is now."""
    lake.mkdir(parents=True, exist_ok=True)
    with open_db(lake) as con:
        upsert_findings(con, findings)
        return load_findings(con)


def cursor_row(lake: Path, destination: str) -> dict[str, Any] | None:
    """The export_cursors row of `destination`, or None."""
    with open_db(lake, read_only=True) as con:
        cursor = con.execute(
            "SELECT * FROM export_cursors WHERE destination = $d", {"d": destination}
        )
        columns = [d[0] for d in cursor.description or []]
        row = cursor.fetchone()
    return dict(zip(columns, row, strict=True)) if row else None


def versions(ocsf_events: Iterable[dict[str, Any]]) -> Counter[tuple[str, int]]:
    """How often each (finding uid, version) arrived, from OCSF events."""
    return Counter(
        (e["finding_info"]["uid"], int(e["unmapped"]["trailguard"]["version"])) for e in ocsf_events
    )


def expected_versions(findings: Iterable[Finding]) -> Counter[tuple[str, int]]:
    """Each stored finding's current version, once."""
    return Counter((f.finding_id, f.version) for f in findings)
