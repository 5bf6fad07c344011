"""`trailguard eval --quick`: the benchmark end to end on the tiniest organisation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trailguard.pipeline.cli.main import main

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.mark.slow
def test_eval_writes_the_numbers_and_a_pr_curve_and_reuses_the_organisation(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["eval", "--quick", "--out", str(tmp_path)]) == 0

    out = capsys.readouterr().out
    assert "Targets (the detection goals" in out and "recall, quiet attacks" in out
    data = json.loads((tmp_path / "eval.json").read_text())
    [run] = data["runs"]
    assert (run["name"], run["generated"]) == ("tiny-seed7-classic", True)
    assert run["recall"]["attacks"] == 28 + 3 and run["recall"]["caught"] >= 20
    assert run["real"]["attacks"] == 3  # the real incidents laid in
    assert run["hard_negatives"]["scenarios"] == 5
    assert run["false_positives"]["benign_principal_days"] > 0
    assert run["budget"]["alerts"] > 0 and run["pr_curve"]
    assert data["pooled"]["recall"] == run["recall"]
    assert "An analyst's first week" in out and "analyst_first_week" in run
    assert [t["name"] for t in data["pooled"]["targets"]] == [
        "recall",
        "recall, quiet attacks",
        "FP per 100 principals per day",
        "benign novelties at Medium+",
    ]
    png = (tmp_path / "pr_curve.png").read_bytes()
    assert png.startswith(PNG_SIGNATURE) and len(png) > 10_000

    assert main(["eval", "--quick", "--out", str(tmp_path)]) == 0
    again = json.loads((tmp_path / "eval.json").read_text())
    assert again["runs"][0]["generated"] is False, "the organisation on disk was reused"
    assert again["pooled"]["scenarios"] == data["pooled"]["scenarios"]
