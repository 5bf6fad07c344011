"""Detection subcommands of `trailguard`: features, train, detect, findings, explain, evaluate.

Kept apart from `pipeline/cli/main.py` so that file only gains one line; each command is thin and
calls the same functions as the Prefect flows.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import (
    add_baseline_arg,
    add_budget_arg,
    add_lake_arg,
    add_sigma_args,
    at_least,
    reads_lake,
    reads_sound_lake,
    sigma_folders,
    utc_time,
)
from trailguard.pipeline.evaluation.matrix import LEARNING_DAYS
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.recover import write_backup
from trailguard.pipeline.report.output import print_rows
from trailguard.pipeline.report.terminal import printable

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_detect_commands(sub: Sub) -> None:
    """Register the detection subcommands on the `trailguard` parser."""
    for add in (_features, _train, _detect, _findings, _explain, _evaluate):
        add(sub)


def _features(sub: Sub) -> None:
    p = sub.add_parser("features", help="compute hourly per-principal features (incremental)")
    add_lake_arg(p)
    p.add_argument("--full", action="store_true", help="recompute every hour, not only new ones")
    p.add_argument(
        "--shards",
        type=int,
        default=1,
        help="compute a shard of accounts at a time: memory holds one shard (default 1)",
    )
    p.set_defaults(command=cmd_features)


@reads_sound_lake
def cmd_features(args: argparse.Namespace) -> int:
    """`trailguard features`."""
    from trailguard.pipeline.features.build import build_features

    s = build_features(args.lake, full=args.full, shards=args.shards)
    span = f"{s.window_start} .. {s.window_end}" if s.window_start else "nothing new"
    shards = f"  {s.shards} shards" if s.shards > 1 else ""
    print(
        f"windows {s.windows:,}  principals {s.principals:,}  hours {span}  "
        f"new addresses {s.new_ips:,}  {s.seconds:.1f}s{'  (full)' if s.full else ''}{shards}"
    )
    return 0


def _train(sub: Sub) -> None:
    p = sub.add_parser("train", help="train the isolation forest on a trailing baseline")
    add_lake_arg(p)
    add_baseline_arg(p)
    p.add_argument(
        "--now",
        type=utc_time,
        help="end of the training baseline, ISO 8601 (default: the newest feature window); "
        "when a few stray late events leave the days before it empty, train where the "
        "history is (the error says where)",
    )
    p.set_defaults(command=cmd_train)


@reads_sound_lake
def cmd_train(args: argparse.Namespace) -> int:
    """`trailguard train`."""
    from trailguard.pipeline.detect.detect import train_model

    info = train_model(args.lake, baseline_days=args.baseline_days, now=args.now)
    print(
        f"model {info.version}: {info.rows:,} windows of {info.principals:,} principals, "
        f"{info.training_start} .. {info.training_end}, threshold {info.threshold:.4f}\n"
        f"  {info.path}"
    )
    return 0


def _detect(sub: Sub) -> None:
    p = sub.add_parser("detect", help="run exact rules, Sigma rules and the model; store findings")
    add_lake_arg(p)
    p.add_argument("--since", type=utc_time, help="only events/windows from this time")
    p.add_argument("--suppression", type=Path, help="suppression TOML (<lake>/suppression.toml)")
    add_sigma_args(p)
    p.set_defaults(command=cmd_detect)


@reads_sound_lake
def cmd_detect(args: argparse.Namespace) -> int:
    """`trailguard detect`."""
    from trailguard.pipeline.config import settings
    from trailguard.pipeline.detect.detect import run_detection

    s = run_detection(
        args.lake,
        since=args.since,
        suppression=args.suppression,
        sigma=sigma_folders(args),
        trusted_accounts=settings().trusted_accounts,  # TRAILGUARD_TRUSTED_ACCOUNTS
    )
    print(
        f"rule findings {s.rule_findings}  Sigma findings {s.sigma_findings}  "
        f"anomaly findings {s.ml_findings}  "
        f"new {s.created}  updated {s.updated}  unchanged {s.unchanged}  "
        f"archived {s.archived}  model {s.model_version or '-'}"
    )
    for note in s.notes:
        print(f"  note: {note}")
    write_backup(args.lake)  # findings exist nowhere else: `check --rebuild-db` restores them
    return 0


def _findings(sub: Sub) -> None:
    p = sub.add_parser("findings", help="list findings")
    add_lake_arg(p)
    p.add_argument("--severity", choices=["low", "medium", "high"], help="at least this severity")
    p.add_argument("--type", help="finding type glob, e.g. 'Discovery:*'")
    p.add_argument("--principal", help="principal key glob")
    p.add_argument("--since", type=utc_time, help="last seen at or after")
    p.add_argument(
        "--status",
        choices=["active", "archived", "all"],
        default="active",
        help="active (default), archived (by a person or a suppression rule) or all",
    )
    p.add_argument("--limit", type=at_least(1), default=100, help="most findings listed (100)")
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (default), csv (formula cells prefixed with ') or json (one object a line)",
    )
    p.set_defaults(command=cmd_findings)


@reads_lake
def cmd_findings(args: argparse.Namespace) -> int:
    """`trailguard findings`, most severe first, then most recent activity (`last_seen`);
    every filter reaches SQL as a bind parameter."""
    from trailguard.pipeline.findings.views import SEVERITY_FLOOR, FindingFilter, list_findings

    where = FindingFilter(
        min_severity=SEVERITY_FLOOR[args.severity] if args.severity else None,
        type=args.type,
        principal=args.principal,
        since=args.since,
        status=None if args.status == "all" else args.status,
        limit=args.limit,
    )
    with open_db(args.lake, read_only=True) as con:
        found = list_findings(con, where)
    columns = [
        "finding_id",
        "severity",
        "type",
        "principal",
        "first_seen",
        "last_seen",
        "event_count",
        "status",
    ]
    if args.status != "active":
        columns.append("status_by")  # who archived it: a person, or `suppression`
    print_rows(columns, [[getattr(f, c) for c in columns] for f in found], args.format)
    return 0


def _explain(sub: Sub) -> None:
    p = sub.add_parser("explain", help="show a finding and why it was raised")
    p.add_argument("finding_id", help="finding id (or a unique prefix)")
    add_lake_arg(p)
    p.add_argument("--json", action="store_true", help="the evidence as JSON")
    p.set_defaults(command=cmd_explain)


@reads_lake
def cmd_explain(args: argparse.Namespace) -> int:
    """`trailguard explain FINDING_ID`."""
    from trailguard.pipeline.findings.views import get_finding, ids_starting_with, render

    with open_db(args.lake, read_only=True) as con:
        finding = get_finding(con, args.finding_id)
        if finding is None:
            count, first = ids_starting_with(con, args.finding_id, EXPLAIN_LISTED)
            raise ValueError(explain_miss(args.finding_id, count, first))
    evidence = finding.evidence.to_json()
    # JSON escapes every control character; the text is shown with visible escapes.
    text = json.dumps(evidence, indent=2, default=str) if args.json else render(finding)
    print(printable(text, keep_lines=True))
    return 0


EXPLAIN_LISTED = 5  # ids shown when a prefix matches several findings


def explain_miss(prefix: str, count: int, first: list[str]) -> str:
    """Why `explain PREFIX` shows nothing: no finding has it, or several do (a few named)."""
    if count == 0:
        return f"no finding has an id starting with {prefix!r} (`trailguard findings` lists them)"
    more = f", ... ({count - len(first):,} more)" if count > len(first) else ""
    return (
        f"{prefix!r} starts the ids of {count:,} findings: {', '.join(first)}{more}; "
        "give more of the id"
    )


def _evaluate(sub: Sub) -> None:
    p = sub.add_parser("evaluate", help="compare findings with synthetic labels (labels.json)")
    add_lake_arg(p)
    p.add_argument(
        "--labels", type=Path, required=True, help="labels.json of a synthetic organisation"
    )
    p.add_argument(
        "--learning-days",
        type=int,
        default=LEARNING_DAYS,
        help=f"false positives are counted after it ({LEARNING_DAYS})",
    )
    add_budget_arg(p)
    p.set_defaults(command=cmd_evaluate)


@reads_lake
def cmd_evaluate(args: argparse.Namespace) -> int:
    """`trailguard evaluate --labels labels.json`."""
    from trailguard.pipeline.evaluation.labels import evaluate_lake
    from trailguard.pipeline.evaluation.scorecard import report

    with open_db(args.lake, read_only=True) as con:
        result = evaluate_lake(
            con, args.labels, learning_days=args.learning_days, budget=args.budget
        )
    print(report(result))
    return 0
