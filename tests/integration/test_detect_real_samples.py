"""Detection on the real CloudTrail samples: the rules must fire where real attacks happened."""

from __future__ import annotations

from pathlib import Path

import pytest

from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.ingest.ingest import ingest

OUTSIDE_AWS = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"
LEVEL1 = "arn:aws:sts::653711331788:assumed-role/level1/level1"


@pytest.fixture(scope="module")
def flaws2_lake(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    lake = tmp_path_factory.mktemp("flaws2") / "lake"
    ingest(str(samples / "flaws2-cloud-defender"), lake, workers=1)
    build_features(lake)
    return lake


def test_flaws2_stolen_lambda_credentials_used_from_outside_aws_are_found(
    flaws2_lake: Path,
) -> None:
    stats = run_detection(flaws2_lake, sigma=())  # the exact rule's finding alone
    (stolen,) = [f for f in stats.findings if f.principal == LEVEL1]
    assert stolen.type == OUTSIDE_AWS
    assert stolen.severity >= 7.0
    assert stolen.evidence.source_ips == ("104.102.221.250",)
    assert stolen.event_count == 4  # ListObjects, ListImages, BatchGetImage, GetDownloadUrlForLayer
    # The same Lambda's own calls from AWS (awslambda-worker) are not a finding.
    assert all(e.source_ip_address == "104.102.221.250" for e in stolen.evidence.events)


def test_flaws2_rerun_updates_nothing_and_adds_nothing(flaws2_lake: Path) -> None:
    first = run_detection(flaws2_lake)
    again = run_detection(flaws2_lake)
    assert first.findings and first.created + first.unchanged == len(first.findings)
    assert (again.created, again.updated, again.unchanged) == (0, 0, len(first.findings))
    assert [f.finding_id for f in again.findings] == [f.finding_id for f in first.findings]


def test_otrf_stolen_ec2_credentials_are_found(samples: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    ingest(str(samples / "otrf-ec2-proxy-s3-exfil"), lake, workers=1)
    stats = run_detection(lake, sigma=())
    (stolen,) = [f for f in stats.findings if "BankingWAFRole" in f.principal]
    assert stolen.type == OUTSIDE_AWS
    assert stolen.event_count == 11  # the attacker's calls with the instance's credentials
