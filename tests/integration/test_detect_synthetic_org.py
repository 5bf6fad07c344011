"""End to end through the CLI on a small synthetic organisation: ingest -> features -> train ->
detect -> findings/explain -> evaluate, with the generator's labels as the yardstick."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trailguard.pipeline.cli.main import main
from trailguard.pipeline.synth.generate import generate_organisation

ATTACKS = [
    "aws.credential-access.ec2-steal-instance-credentials",
    "aws.defense-evasion.cloudtrail-stop",
    "aws.persistence.iam-create-admin-user",
]
OUTSIDE_AWS = "UnauthorizedAccess:IAMUser/InstanceCredentialExfiltration.OutsideAWS"


@pytest.fixture(scope="module")
def org(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("org")
    generate_organisation(
        str(root / "trail"), days=8, accounts=1, principals=16, seed=3, attacks=ATTACKS, workers=1
    )
    lake = root / "lake"
    assert main(["ingest", "--source", str(root / "trail"), "--lake", str(lake)]) == 0
    assert main(["features", "--lake", str(lake)]) == 0
    assert main(["train", "--lake", str(lake)]) == 0
    assert main(["detect", "--lake", str(lake)]) == 0
    return lake, root / "trail" / "labels.json"


@pytest.mark.slow
def test_every_attack_of_the_small_org_is_found(
    org: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lake, labels = org
    capsys.readouterr()
    assert main(["evaluate", "--lake", str(lake), "--labels", str(labels)]) == 0
    report = capsys.readouterr().out
    assert "attacks caught          3/3" in report


@pytest.mark.slow
def test_findings_filter_by_type_and_explain_shows_why(
    org: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lake, _ = org
    capsys.readouterr()
    main(["findings", "--lake", str(lake), "--type", "*OutsideAWS", "--format", "json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert rows and all(r["type"] == OUTSIDE_AWS for r in rows)
    main(["findings", "--lake", str(lake), "--type", "UnauthorizedAccess:*", "--format", "json"])
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    assert rows and all(r["type"].startswith("UnauthorizedAccess:") for r in rows)
    main(["findings", "--lake", str(lake), "--format", "json"])
    every = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    ml = [r for r in every if "AnomalousBehavior" in r["type"]]
    assert ml, "the model found nothing"
    main(["explain", ml[0]["finding_id"], "--lake", str(lake)])
    text = capsys.readouterr().out
    assert "What drove the score" in text and "unusual" in text and "frequent" in text


@pytest.mark.slow
def test_detecting_again_changes_nothing(
    org: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    lake, _ = org
    capsys.readouterr()
    assert main(["detect", "--lake", str(lake)]) == 0
    assert "new 0  updated 0" in capsys.readouterr().out
