"""Arguments every `trailguard` subcommand shares, defined once."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from trailguard.pipeline.config import DEFAULTS, settings, variable


def add_lake_arg(parser: argparse.ArgumentParser) -> None:
    """`--lake DIR`, defaulting to $TRAILGUARD_LAKE, else ./lake (as the flows and Docker do)."""
    parser.add_argument(
        "--lake",
        type=Path,
        default=settings().lake,
        help=f"lake folder (${variable('lake')}, else ./{DEFAULTS.lake})",
    )


def add_baseline_arg(parser: argparse.ArgumentParser) -> None:
    """`--baseline-days`: the days of feature windows the model learns normal behaviour from."""
    days = settings().baseline_days
    parser.add_argument(
        "--baseline-days",
        type=int,
        default=days,
        help=f"days of history the model learns from (${variable('baseline_days')}, else {days})",
    )


def add_budget_arg(parser: argparse.ArgumentParser) -> None:
    """`--budget`: alerts an analyst reads per 100 principals per day
    (`pipeline.evaluation.matrix`)."""
    from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET

    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"alerts read per 100 principals per day ({DEFAULT_BUDGET:g})",
    )


def utc_time(text: str) -> datetime:
    """An ISO 8601 time from the command line; a time without a zone is UTC."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
