"""`trailguard run`, `demo` and `eval`: the whole pipeline from the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import (
    add_baseline_arg,
    add_budget_arg,
    add_lake_arg,
    add_sigma_args,
    at_least,
    new_lake_removed_on_failure,
    require_lake,
    require_sound_lake,
    sigma_folders,
)
from trailguard.pipeline.config import settings as current_settings
from trailguard.pipeline.evaluation.matrix import (
    DEFAULT_SEEDS,
    DEFAULT_SIZES,
    QUICK_SEEDS,
    QUICK_SIZES,
    SIZES,
)
from trailguard.pipeline.report.output import print_rows
from trailguard.pipeline.report.terminal import printable

if TYPE_CHECKING:
    from trailguard.pipeline.run import PipelineResult

    Sub = argparse._SubParsersAction[argparse.ArgumentParser]

TOP_FINDINGS = 15
QUICK_NOTE = (
    "\nnote: --quick runs one tiny organisation (10 principals, 10 days, one seed) to show that "
    "the benchmark works: far too small a sample to meet the targets, so MISSED here says "
    "nothing about detection; measure them with the default sizes and seeds (`trailguard eval`)"
)
EXAMPLE_QUERY = "select type, count(*) from findings group by 1 order by 2 desc"


def add_run_commands(sub: Sub) -> None:
    """Register `run` and `demo` on the `trailguard` parser."""
    p = sub.add_parser("run", help="ingest -> features -> (train) -> detect, without Prefect")
    p.add_argument("--source", help="s3://bucket[/prefix] or a folder (omit: detect only)")
    add_lake_arg(p)
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (or AWS_ENDPOINT_URL)")
    p.add_argument("--retrain", action="store_true", help="train a new model before detecting")
    add_baseline_arg(p)
    add_sigma_args(p)
    p.set_defaults(command=cmd_run)

    d = sub.add_parser("demo", help="a synthetic organisation end to end, scored against labels")
    d.add_argument(
        "--out",
        type=Path,
        default=Path("trailguard-demo"),
        help="folder for the generated logs, the lake and report.html (./trailguard-demo)",
    )
    d.add_argument("--days", type=at_least(1), default=21, help="days of activity generated (21)")
    d.add_argument(
        "--accounts", type=at_least(1), default=6, help="AWS accounts of the organisation (6)"
    )
    d.add_argument(
        "--principals",
        type=at_least(1),
        default=180,
        help="people and workloads making calls (180)",
    )
    d.add_argument(
        "--seed", type=int, default=7, help="random seed: the same seed makes the same org (7)"
    )
    d.set_defaults(command=cmd_demo)
    _add_eval(sub)


def _add_eval(sub: Sub) -> None:
    e = sub.add_parser("eval", help="detection-quality benchmark on several synthetic orgs")
    e.add_argument("--out", type=Path, default=Path("trailguard-eval"), help="./trailguard-eval")
    e.add_argument(
        "--seeds", type=_ints, help=f"comma-separated ({','.join(map(str, DEFAULT_SEEDS))})"
    )
    e.add_argument(
        "--sizes",
        type=_names,
        help=f"comma-separated, of {', '.join(SIZES)} ({','.join(DEFAULT_SIZES)})",
    )
    add_budget_arg(e)
    e.add_argument(
        "--quick",
        action="store_true",
        help=f"sizes {','.join(QUICK_SIZES)}, seeds {','.join(map(str, QUICK_SEEDS))} "
        "(unless given): seconds, for tests",
    )
    e.set_defaults(command=cmd_eval)


def cmd_run(args: argparse.Namespace) -> int:
    """`trailguard run`: with --source it may create the lake (removed again if that first run
    fails); without, it needs one. A damaged lake is refused."""
    from trailguard.pipeline.lake.recover import write_backup
    from trailguard.pipeline.run import run_pipeline

    if not args.source:
        require_lake(args.lake)
    require_sound_lake(args.lake)
    with new_lake_removed_on_failure(args.lake):
        result = run_pipeline(
            args.lake,
            source=args.source,
            endpoint_url=args.endpoint_url,
            retrain=args.retrain,
            baseline_days=args.baseline_days,
            sigma=sigma_folders(args),
            trusted_accounts=current_settings().trusted_accounts,  # TRAILGUARD_TRUSTED_ACCOUNTS
        )
    print(format_result(result))
    _print_top(args.lake)
    write_backup(args.lake)  # findings, export cursors, run history: `check --rebuild-db`
    return 1 if result.ingest and result.ingest.failed else 0


def cmd_demo(args: argparse.Namespace) -> int:
    """`trailguard demo`."""
    from trailguard.pipeline.evaluation.demo import DemoSettings, run_demo
    from trailguard.pipeline.evaluation.scorecard import report

    settings = DemoSettings(args.out, args.days, args.accounts, args.principals, args.seed)
    print(f"trailguard demo: a synthetic organisation in {settings.out}/ ...", file=sys.stderr)
    demo = run_demo(settings)
    if demo.generated_events is not None:
        print(f"generated {demo.generated_events:,} events into {demo.data}")
    print(format_result(demo.pipeline))
    _print_top(demo.lake)
    print("\nAgainst the labels (" + str(demo.data / "labels.json") + "):")
    print(report(demo.evaluation))
    print(f"\nOpen:    {demo.report}   (findings, timelines, scores; works offline)")
    print(f"Explore: trailguard findings --lake {demo.lake} --severity high")
    print(f"         trailguard explain <finding_id> --lake {demo.lake}")
    print(f'         trailguard query "{EXAMPLE_QUERY}" --lake {demo.lake}')
    print(f"         trailguard report --lake {demo.lake} --labels {demo.data / 'labels.json'}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    """`trailguard eval`."""
    from trailguard.pipeline.evaluation.benchmark import EvalSettings, run_benchmark
    from trailguard.pipeline.evaluation.benchmark_results import write_results
    from trailguard.pipeline.evaluation.benchmark_text import format_benchmark

    settings = EvalSettings(
        args.out,
        seeds=args.seeds or (QUICK_SEEDS if args.quick else DEFAULT_SEEDS),
        sizes=args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES),
        budget=args.budget,
    )
    bench = run_benchmark(settings, lambda text: print(f"eval: {text}", file=sys.stderr))
    print(format_benchmark(bench))
    if args.quick:
        print(QUICK_NOTE)
    data, png = write_results(bench)
    print(f"\nwrote {data} and {png} in {bench.seconds:.0f}s")
    return 0


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(",") if part.strip())


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def format_result(result: PipelineResult) -> str:
    """One line per stage."""
    lines = []
    if result.ingest:
        s = result.ingest
        lines.append(
            f"ingest    {s.written:,} events written, {s.duplicates:,} duplicates, "
            f"{s.quarantined:,} quarantined, {len(s.failed)} unreadable ({s.seconds:.1f}s)"
        )
    f = result.features
    lines.append(f"features  {f.windows:,} principal-hours of {f.principals:,} principals")
    model = result.model
    lines.append(f"model     {model.version if model else 'none (rules only)'}")
    d = result.detect
    lines.append(
        f"detect    {d.rule_findings} rule + {d.sigma_findings} Sigma + {d.ml_findings} anomaly "
        "findings: "
        f"{d.created} new, {d.updated} updated, {d.archived} archived by suppression"
    )
    lines.extend(
        f"rescore   {r.windows:,} principal-hours from {r.window_start:%Y-%m-%d %H:00} recomputed "
        "without the events of the findings before them, and detected again"
        for r in result.rescored
    )
    lines.extend(f"note      {printable(note)}" for note in result.notes)
    return "\n".join(lines)


def _print_top(lake: Path) -> None:
    from trailguard.pipeline.findings.views import FindingFilter, list_findings
    from trailguard.pipeline.lake.db import open_db

    with open_db(lake, read_only=True) as con:  # most severe first, then most recent activity
        found = list_findings(con, FindingFilter(limit=1000))
    columns = ["finding_id", "severity", "type", "principal", "last_seen", "event_count"]
    print(f"\nTop findings ({len(found)} active; most severe, then most recent, first):")
    rows = [[getattr(f, c) for c in columns] for f in found[:TOP_FINDINGS]]
    print_rows(columns, rows, "table")
