"""Arguments every `trailguard` subcommand shares, defined once."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, datetime
from pathlib import Path

LAKE_ENV = "TRAILGUARD_LAKE"


def add_lake_arg(parser: argparse.ArgumentParser) -> None:
    """`--lake DIR`, defaulting to $TRAILGUARD_LAKE, else ./lake (as the flows and Docker do)."""
    default = Path(os.environ.get(LAKE_ENV) or "lake")
    parser.add_argument(
        "--lake", type=Path, default=default, help=f"lake folder (${LAKE_ENV}, else ./lake)"
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
