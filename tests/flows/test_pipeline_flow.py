"""The `trailguard_pipeline` flow finds what `trailguard run` finds, and shows the top ones."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.flows.lake_contents import feature_table, stored_findings
from trailguard.pipeline.run import PipelineResult, run_pipeline

pytestmark = pytest.mark.prefect


@pytest.fixture(scope="module")
def plain_run(
    small_org: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, PipelineResult]:
    """`trailguard run` over the small organisation: the lake and result flows are held to."""
    lake = tmp_path_factory.mktemp("plain") / "lake"
    return lake, run_pipeline(lake, source=str(small_org), workers=1)


def test_the_pipeline_flow_stores_the_findings_of_trailguard_run(
    prefect_api: str, small_org: Path, plain_run: tuple[Path, PipelineResult], tmp_path: Path
) -> None:
    from prefect.artifacts import Artifact

    from trailguard.flows.pipeline import trailguard_pipeline

    flow_run = trailguard_pipeline(source=str(small_org), lake=tmp_path / "flow", top_findings=5)
    plain_lake, plain = plain_run

    findings = stored_findings(tmp_path / "flow")
    assert plain.detect.rule_findings > 5
    assert findings == stored_findings(plain_lake)
    assert flow_run.detect.created == plain.detect.created == len(findings)
    assert (flow_run.model is None) == (plain.model is None)
    # Its detect subflow kept the backup `trailguard check --rebuild-db` restores findings from.
    assert (tmp_path / "flow" / "backup" / "trailguard.duckdb").is_file()

    artifact = Artifact.get("trailguard-findings")
    assert artifact is not None and isinstance(artifact.data, str)
    rows = json.loads(artifact.data)
    severities = [float(r["severity"].split()[0]) for r in rows]
    assert len(rows) == 5
    assert severities == sorted(severities, reverse=True)
    assert severities[0] == max(f["severity"] for f in findings)
    assert all(r["change"] == "new" and r["why"] for r in rows)
    assert {r["finding_id"] for r in rows} <= {f["finding_id"] for f in findings}


def test_on_a_two_worker_dask_cluster_the_pipeline_flow_gives_the_same_features_and_findings(
    prefect_api: str,
    small_org: Path,
    plain_run: tuple[Path, PipelineResult],
    tmp_path: Path,
    dask_scheduler: str,
) -> None:
    from trailguard.flows.pipeline import trailguard_pipeline

    plain_lake, _ = plain_run
    on_dask = trailguard_pipeline(
        source=str(small_org),
        lake=tmp_path / "dask",
        task_runner="dask",
        dask_address=dask_scheduler,
    )

    assert on_dask.features.shards == 2  # one per worker: the two accounts, one task each
    assert on_dask.features.windows == feature_table(plain_lake).num_rows > 0
    assert feature_table(tmp_path / "dask").equals(feature_table(plain_lake))
    assert stored_findings(tmp_path / "dask") == stored_findings(plain_lake) != []


def test_the_features_flow_maps_shards_on_threads_too(
    prefect_api: str, plain_run: tuple[Path, PipelineResult], tmp_path: Path
) -> None:
    from trailguard.flows.features import build_features

    plain_lake, _ = plain_run
    lake = tmp_path / "lake"
    shutil.copytree(plain_lake, lake)
    stats = build_features(lake=lake, full=True, shards=3)

    assert stats.shards == 2 and stats.full  # at most one shard per account
    assert feature_table(lake).equals(feature_table(plain_lake))
