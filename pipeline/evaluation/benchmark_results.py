"""What `trailguard eval` writes: `<out>/eval.json`, every number of the benchmark (settings,
each run, the pooled evaluation), and `<out>/pr_curve.png`, the precision-recall curve of each
run and pooled.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from trailguard.pipeline.evaluation.analyst import AnalystWeek
from trailguard.pipeline.evaluation.benchmark import Benchmark
from trailguard.pipeline.evaluation.matrix import SIZES, habits_of, population_of, role_of
from trailguard.pipeline.evaluation.scorecard import curve, to_dict


def to_json(bench: Benchmark) -> dict[str, Any]:
    """Every number of the benchmark: settings, each run, and the pooled evaluation."""
    s = bench.settings
    return {
        "settings": {
            "seeds": list(s.seeds),
            "sizes": {name: asdict(SIZES[name]) for name in s.sizes},
            "budget_per_100_principals_per_day": s.budget,
        },
        "seconds": round(bench.seconds, 1),
        "runs": [
            {
                "name": r.name,
                "size": r.size,
                "seed": r.seed,
                "population": population_of(r.seed),
                "habits": habits_of(r.seed),
                "role": role_of(r.seed),
                "events": r.events,
                "generated": r.generated,
                "seconds": round(r.seconds, 1),
                **to_dict(r.evaluation),
                "analyst_first_week": _analyst_json(r.analyst),
            }
            for r in bench.runs
        ],
        "pooled": to_dict(bench.pooled),
    }


def write_results(bench: Benchmark) -> tuple[Path, Path]:
    """`<out>/eval.json` and `<out>/pr_curve.png`; returns their paths."""
    from trailguard.pipeline.evaluation.pr_plot import write_pr_curve

    out = bench.settings.out
    out.mkdir(parents=True, exist_ok=True)
    data = out / "eval.json"
    data.write_text(json.dumps(to_json(bench), indent=2) + "\n", encoding="utf-8")
    png = out / "pr_curve.png"
    write_pr_curve(png, {r.name: curve(r.evaluation) for r in bench.runs}, curve(bench.pooled))
    return data, png


def _analyst_json(week: AnalystWeek | None) -> dict[str, Any] | None:
    if week is None:
        return None
    return {
        "week": [week.week_start.isoformat(), week.week_end.isoformat()],
        "false_positives_archived": week.archived,
        "suppression_rules": week.rules,
        "after_the_week": {
            "fp_per_100_principals_per_day": week.before.fp_per_100,
            "fp_per_100_principals_per_day_with_rules": week.after.fp_per_100,
            "medium_plus_fp_per_100_principals_per_day": week.before.fp_medium_plus_per_100,
            "medium_plus_fp_per_100_principals_per_day_with_rules": (
                week.after.fp_medium_plus_per_100
            ),
            "recall": week.before.recall(),
            "recall_with_rules": week.after.recall(),
            "attack_findings_archived": week.attack_findings_archived,
        },
    }
