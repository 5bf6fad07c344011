"""The `trailguard` command: thin; each subcommand calls the same functions as the flows.

This module builds the parser and runs the chosen command; each command (or family of them) is
registered by its own module of this package (`ingest`, `check`, `lake`, `export`, `detect`...).
"""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NoReturn, cast

from trailguard.pipeline.cli.check import add_check_command
from trailguard.pipeline.cli.detect import add_detect_commands
from trailguard.pipeline.cli.errors import install_safe_logging, run_command
from trailguard.pipeline.cli.export import add_export_command
from trailguard.pipeline.cli.flows import add_flow_commands
from trailguard.pipeline.cli.ingest import add_ingest_command
from trailguard.pipeline.cli.lake import add_lake_commands
from trailguard.pipeline.cli.parser import Parser
from trailguard.pipeline.cli.report import add_report_command
from trailguard.pipeline.cli.run import add_run_commands
from trailguard.pipeline.cli.synth import add_synth_command
from trailguard.pipeline.cli.triage import add_triage_commands
from trailguard.pipeline.config import SettingsError

Command = Callable[[argparse.Namespace], int]
WIRE_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore")
DESCRIPTION = (
    "Find suspicious activity in AWS CloudTrail logs, on your own machine. trailguard reads "
    "CloudTrail's log files from S3 or a folder into a local lake (Parquet and DuckDB), "
    "learns how each principal normally behaves, and reports findings from exact rules and an "
    "anomaly model. Start with `trailguard demo`, or `trailguard run --source s3://BUCKET "
    "--lake DIR` on your own trail."
)
EPILOG = (
    "exit codes: 0 done, 1 a source or destination failed, 2 a usage mistake, "
    "65 the lake is damaged (see `trailguard check`), 75 another run holds the lake, "
    "141 the output's reader stopped early (`| head`)"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trailguard` console script."""
    try:
        parser = build_parser()  # option defaults come from the settings: a variable may be bad
    except SettingsError as exc:
        print(f"trailguard: {exc}", file=sys.stderr)
        return 2
    args = parser.parse_args(sys.argv[1:] if argv is None else list(argv))
    # At DEBUG the HTTP libraries print request headers: session tokens, key ids.
    install_safe_logging(args.verbose, WIRE_LOGGERS)
    command: Command = args.command
    return run_command(command, args)


def installed_version() -> str:
    """trailguard's version from the installed package's metadata (what pip installed)."""
    try:
        return metadata.version("trailguard")
    except metadata.PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = Parser(prog="trailguard", description=DESCRIPTION, epilog=EPILOG)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"trailguard {installed_version()}")
    sub = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(required=True, metavar="COMMAND"),
    )
    for add in (
        add_ingest_command,
        add_check_command,
        add_lake_commands,  # query, compact
        add_export_command,
        add_detect_commands,
        add_triage_commands,
        add_synth_command,
        add_run_commands,
        add_flow_commands,
        add_report_command,
    ):
        add(sub)
    return parser


def run() -> NoReturn:
    """The console script: `main`, then an exit that leaves what is left in memory to the OS.

    Python's teardown would otherwise walk and free, object by object, every module and cache
    of the run (~0.05-0.1 s after an ingest, a tenth of a small scheduled run). Freezing them
    skips only that: `atexit` handlers and the flush of stdout and stderr still run, and every
    file and database connection of a command is closed by the command itself.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
