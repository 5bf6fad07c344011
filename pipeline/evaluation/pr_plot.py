"""The precision-recall curve of `trailguard eval` as a PNG (matplotlib, no display needed)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from trailguard.pipeline.evaluation.evaluate import CAUGHT_SEVERITY
from trailguard.pipeline.evaluation.ranking import PRPoint

LEGEND_ROWS = 24  # entries a legend column holds beside a 5-inch-high plot


def write_pr_curve(path: Path, runs: Mapping[str, list[PRPoint]], pooled: list[PRPoint]) -> None:
    """One thin line per run, the pooled curve thick, its Medium+ operating point marked."""
    from matplotlib.figure import Figure  # heavy: imported only when a PNG is written

    # The legend beside the axes, in as many columns as its entries (the runs and pooled) need.
    columns = -(-(len(runs) + 1) // LEGEND_ROWS)
    fig = Figure(figsize=(7 + 2.6 * columns, 5), layout="constrained")
    ax = fig.subplots()
    for name, points in runs.items():
        ax.plot(_recalls(points), _precisions(points), lw=1, alpha=0.6, label=name)
    ax.plot(_recalls(pooled), _precisions(pooled), lw=2.5, color="black", label="pooled")
    medium = [p for p in pooled if p.severity >= CAUGHT_SEVERITY]
    if medium:
        point = medium[-1]
        ax.plot([point.recall], [point.precision], "o", color="crimson", ms=8)
        ax.annotate(
            f"severity >= {CAUGHT_SEVERITY:g}",
            (point.recall, point.precision),
            textcoords="offset points",
            xytext=(-10, -18),
            ha="right",
        )
    ax.set(
        xlabel="recall (attacks caught by a finding at or above the threshold, <= 48 h)",
        ylabel="precision (findings overlapping an attack)",
        title="trailguard eval: threshold on severity, then model score",
        xlim=(0, 1.02),
        ylim=(_floor(runs, pooled), 1.02),
    )
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="x-small", ncols=columns)
    fig.savefig(path, dpi=110)


def _recalls(points: list[PRPoint]) -> list[float]:
    return [p.recall for p in points]


def _precisions(points: list[PRPoint]) -> list[float]:
    return [p.precision for p in points]


def _floor(runs: Mapping[str, list[PRPoint]], pooled: list[PRPoint]) -> float:
    """The precision axis starts a little below the lowest point (at a tenth), not always at 0."""
    lowest = min((p.precision for points in [*runs.values(), pooled] for p in points), default=0)
    return max(0.0, math.floor(lowest * 10 - 0.5) / 10)
