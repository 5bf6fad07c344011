"""The precision-recall plot of `trailguard eval` stays readable however many runs it shows."""

from __future__ import annotations

import warnings
from pathlib import Path

from trailguard.pipeline.evaluation.pr_plot import write_pr_curve
from trailguard.pipeline.evaluation.ranking import PRPoint

CURVE = [PRPoint(severity=8.0, score=None, alerts=1, precision=1.0, recall=0.5)]


def test_the_default_matrix_of_34_runs_keeps_its_axes_beside_the_legend(tmp_path: Path) -> None:
    runs = {f"default-seed{seed}-restless": CURVE for seed in range(34)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns when the legend squeezes the axes away
        write_pr_curve(tmp_path / "pr.png", runs, CURVE)
    assert (tmp_path / "pr.png").read_bytes().startswith(b"\x89PNG")
