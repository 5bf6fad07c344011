"""The `trailguard_pipeline` flow finds what `trailguard run` finds, and shows the top ones."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pipeline.db import open_db
from pipeline.findings import load_findings
from pipeline.run import run_pipeline

pytestmark = pytest.mark.prefect

# What a finding is, without when this particular lake stored it.
_RUN_FIELDS = ("created_at", "updated_at", "revision")


def stored_findings(lake: Path) -> list[dict[str, Any]]:
    """Every stored finding, without run timestamps, in id order."""
    with open_db(lake) as con:
        findings = load_findings(con)
    rows = [{k: v for k, v in vars(f).items() if k not in _RUN_FIELDS} for f in findings]
    return sorted(rows, key=lambda r: str(r["finding_id"]))


def test_the_pipeline_flow_stores_the_findings_of_trailguard_run(
    prefect_api: str, small_org: Path, tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    from flows.pipeline import trailguard_pipeline

    flow_run = trailguard_pipeline(source=str(small_org), lake=tmp_path / "flow", top_findings=5)
    plain = run_pipeline(tmp_path / "plain", source=str(small_org), workers=1)

    findings = stored_findings(tmp_path / "flow")
    assert plain.detect.rule_findings > 5
    assert findings == stored_findings(tmp_path / "plain")
    assert flow_run.detect.created == plain.detect.created == len(findings)
    assert (flow_run.model is None) == (plain.model is None)

    artifact = Artifact.get("trailguard-findings")
    assert artifact is not None and isinstance(artifact.data, str)
    rows = json.loads(artifact.data)
    severities = [float(r["severity"].split()[0]) for r in rows]
    assert len(rows) == 5
    assert severities == sorted(severities, reverse=True)
    assert severities[0] == max(f["severity"] for f in findings)
    assert all(r["change"] == "new" and r["why"] for r in rows)
    assert {r["finding_id"] for r in rows} <= {f["finding_id"] for f in findings}
