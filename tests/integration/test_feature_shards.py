"""Sharded features and scoring on a synthetic organisation and on real CloudTrail: the same
feature rows and the same findings as one shard, whatever the shard count."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest

from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.features.build import build_features, load_features
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.run import run_pipeline
from trailguard.pipeline.synth.generate import generate_organisation

ATTACKS = [
    "aws.persistence.iam-create-admin-user",
    "aws.credential-access.ec2-steal-instance-credentials",
]
SAMPLES = [
    "flaws-subset-umccr",
    "flaws2-cloud-defender",
    "otrf-ec2-proxy-s3-exfil",
    "panther-rule-tests",  # hand-made events in 30-odd accounts
]


@pytest.fixture(scope="module")
def org_lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Eight days of a three-account organisation with two attacks, ingested."""
    root = tmp_path_factory.mktemp("org")
    generate_organisation(
        str(root / "trail"), days=8, accounts=3, principals=9, seed=11, attacks=ATTACKS, workers=1
    )
    ingest(str(root / "trail"), root / "lake", workers=1)
    return root / "lake"


def features(lake: Path) -> pa.Table:
    """The whole feature table, in key order."""
    with open_db(lake, read_only=True) as con:
        return load_features(con)


@pytest.mark.slow
def test_sharded_features_and_findings_of_an_organisation_equal_one_shard(org_lake: Path) -> None:
    # `trailguard run` first: its findings stay out of the history of the rows it settles on.
    run_pipeline(org_lake, retrain=True)
    assert build_features(org_lake).window_start is None  # settled
    expected = features(org_lake)
    findings = run_detection(org_lake).findings
    assert any(f.detector == "isolation_forest" for f in findings), "the model found nothing"
    for shards in (2, 3):
        stats = build_features(org_lake, full=True, shards=shards)
        assert stats.shards == shards
        assert features(org_lake).equals(expected), f"{shards} shards"
        assert run_detection(org_lake, shards=shards).findings == findings


def test_sharded_features_of_real_cloudtrail_equal_one_shard(samples: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for name in SAMPLES:
        ingest(str(samples / name), lake, workers=1)
    build_features(lake)
    expected = features(lake)
    assert expected.num_rows > 100
    for shards in (2, 5, 1000):
        stats = build_features(lake, full=True, shards=shards)
        assert features(lake).equals(expected), f"{shards} shards"
    assert stats.shards == len(set(expected.column("account_id").to_pylist()))
