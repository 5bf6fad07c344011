"""`trailguard synth` writes the organisation and its labels where --out says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trailguard.pipeline.cli.main import main

ARGS = ["--days", "2", "--accounts", "1", "--principals", "6", "--intensity", "0.02"]


def test_synth_writes_objects_and_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [
            "synth",
            "--out",
            str(tmp_path),
            *ARGS,
            "--seed",
            "9",
            "--attacks",
            "aws.defense-evasion.cloudtrail-stop",
        ]
    )
    assert code == 0
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert [s["technique"] for s in labels["scenarios"]] == ["aws.defense-evasion.cloudtrail-stop"]
    assert labels["seed"] == 9
    assert list(tmp_path.glob("AWSLogs/*/CloudTrail/*/2026/10/0*/*.json.gz"))
    assert "events/s" in capsys.readouterr().out


def test_synth_with_an_empty_attack_list_writes_only_benign_data(tmp_path: Path) -> None:
    assert main(["synth", "--out", str(tmp_path), *ARGS, "--attacks"]) == 0
    assert json.loads((tmp_path / "labels.json").read_text())["scenarios"] == []


def test_an_unknown_technique_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["synth", "--out", str(tmp_path), *ARGS, "--attacks", "aws.nope"]) == 2
    assert "unknown techniques: aws.nope" in capsys.readouterr().err


def test_org_trail_layout_puts_the_organisation_id_before_the_account(tmp_path: Path) -> None:
    assert main(["synth", "--out", str(tmp_path), *ARGS, "--attacks", "--org-trail"]) == 0
    keys = [p.relative_to(tmp_path).parts for p in tmp_path.rglob("*.json.gz")]
    assert keys and all(k[0] == "AWSLogs" and k[1].startswith("o-") for k in keys)
    assert {k[3] for k in keys} == {"CloudTrail", "CloudTrail-Digest"}


def test_real_incidents_are_laid_into_the_organisation_and_labelled(tmp_path: Path) -> None:
    args = ["--out", str(tmp_path), "--days", "3", *ARGS[2:], "--attacks", "--org-trail"]
    assert main(["synth", *args, "--real-incidents"]) == 0
    labels = json.loads((tmp_path / "labels.json").read_text())
    assert [s["technique"] for s in labels["scenarios"]] == [
        "real.flaws2-stolen-lambda-credentials",
        "real.flaws-level6-enumeration",
        "real.otrf-ec2-proxy-s3-exfiltration",
    ]
    for scenario in labels["scenarios"]:  # in the organisation's account or a new one
        name = scenario["technique"].removeprefix("real.")
        folder = f"AWSLogs/o-*/{scenario['account_id']}/CloudTrail/*/2026/10/0[23]"
        assert list(tmp_path.glob(f"{folder}/*_{name}.json.gz"))


def test_real_incidents_in_an_organisation_with_no_day_after_learning_are_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--out", str(tmp_path), "--days", "1", "--accounts", "1", "--principals", "6"]
    assert main(["synth", *args, "--intensity", "0.02", "--attacks", "--real-incidents"]) == 2
    assert "real incidents need a benign learning period first" in capsys.readouterr().err
    assert not any(tmp_path.iterdir()), "refused before anything is written"
