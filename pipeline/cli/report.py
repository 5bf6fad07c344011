"""`trailguard report`: the lake's findings as one self-contained HTML page."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import add_lake_arg, reads_sound_lake

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_report_command(sub: Sub) -> None:
    """Register `report` on the `trailguard` parser."""
    p = sub.add_parser("report", help="write an HTML report: findings, timelines, scores")
    add_lake_arg(p)
    p.add_argument("--labels", type=Path, help="labels.json of a synthetic organisation")
    p.add_argument(
        "--out", type=Path, default=Path("report.html"), help="./report.html (mode 0600)"
    )
    p.set_defaults(command=cmd_report)


@reads_sound_lake
def cmd_report(args: argparse.Namespace) -> int:
    """`trailguard report`: written readable by its owner only (0600)."""
    from trailguard.pipeline.report.build import write_report

    path = write_report(args.lake, args.out, labels=args.labels)
    print(f"wrote {path} (one file, no network needed): open it in a browser")
    return 0
