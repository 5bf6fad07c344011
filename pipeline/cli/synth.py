"""``trailguard synth``: write a synthetic organisation's CloudTrail to a folder or S3."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import at_least
from trailguard.pipeline.synth.defaults import (
    DEFAULT_ACCOUNTS,
    DEFAULT_DAYS,
    DEFAULT_PRINCIPALS,
    DEFAULT_SEED,
)
from trailguard.pipeline.synth.habits import HABITS

if TYPE_CHECKING:
    from trailguard.pipeline.synth.generate import SynthSummary


def add_synth_command(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the ``synth`` subcommand."""
    p = sub.add_parser("synth", help="generate a synthetic organisation's CloudTrail + labels")
    p.add_argument("--out", required=True, help="local folder or s3://bucket/prefix")
    p.add_argument("--days", type=at_least(1), default=DEFAULT_DAYS, help=f"days ({DEFAULT_DAYS})")
    p.add_argument("--accounts", type=at_least(1), default=DEFAULT_ACCOUNTS, help="accounts")
    p.add_argument(
        "--principals",
        type=at_least(1),
        default=DEFAULT_PRINCIPALS,
        help="benign principals in total",
    )
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed")
    p.add_argument(
        "--attacks",
        nargs="*",
        default=None,
        metavar="TECHNIQUE",
        help="technique ids or names to include (default: all; no value: none)",
    )
    p.add_argument(
        "--repeats",
        type=at_least(1),
        default=1,
        help="place each technique N times (2: loud and quiet)",
    )
    p.add_argument(
        "--org-trail", action="store_true", help="organisation-trail layout (AWSLogs/o-<id>/...)"
    )
    p.add_argument(
        "--duplicates",
        type=float,
        default=0.0,
        metavar="SHARE",
        help="share of global-service events delivered twice (0)",
    )
    p.add_argument(
        "--real-incidents",
        action="store_true",
        help="also lay three real recorded incidents (flaws, flaws2, OTRF) after learning",
    )
    p.add_argument(
        "--habits",
        choices=HABITS,
        default="steady",
        help="everyday behaviour of people and machines (steady: regular; restless: irregular)",
    )
    p.add_argument("--start", help="first day, YYYY-MM-DD (2026-10-01)")
    p.add_argument("--intensity", type=float, default=1.0, help="scale benign call rates")
    p.add_argument("--workers", type=int, default=None, help="processes (CPU count)")
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (or AWS_ENDPOINT_URL_S3)")
    p.set_defaults(command=cmd_synth)


def cmd_synth(args: argparse.Namespace) -> int:
    """Run the generator with the command line's options and print a summary."""
    from datetime import UTC, datetime

    from trailguard.pipeline.synth.generate import generate_organisation

    client = None
    if args.out.startswith("s3://"):
        from trailguard.pipeline.ingest.sources.s3 import s3_client

        client = s3_client(args.endpoint_url)
    start = datetime.strptime(args.start, "%Y-%m-%d").replace(tzinfo=UTC) if args.start else None
    summary = generate_organisation(
        args.out,
        days=args.days,
        accounts=args.accounts,
        principals=args.principals,
        seed=args.seed,
        attacks=args.attacks,
        start=start,
        s3_client=client,
        workers=args.workers,
        intensity=args.intensity,
        repeats=args.repeats,
        org_trail=args.org_trail,
        duplicates=args.duplicates,
        real_incidents=args.real_incidents,
        habits=args.habits,
    )
    print(format_summary(summary))
    return 0


def format_summary(s: SynthSummary) -> str:
    """The closing summary of a synth run."""
    return "\n".join(
        [
            f"out               {s.out}",
            f"objects written   {s.objects:>12,}",
            f"events            {s.events:>12,}",
            f"attacks           {s.attacks:>12,}",
            f"hard negatives    {s.hard_negatives:>12,}",
            f"delivered twice   {s.duplicates:>12,}",
            f"seconds           {s.seconds:>12.1f}   ({s.events_per_second:,.0f} events/s)",
        ]
    )
