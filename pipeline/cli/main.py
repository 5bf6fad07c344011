"""The `trailguard` command: thin; each subcommand calls the same functions as the flows."""

from __future__ import annotations

import argparse
import gc
import sys
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import NoReturn, cast

import duckdb

from trailguard.pipeline.cli.args import (
    add_lake_arg,
    new_lake_removed_on_failure,
    reads_lake,
    require_sound_lake,
    size,
)
from trailguard.pipeline.cli.check import add_check_command
from trailguard.pipeline.cli.detect import add_detect_commands
from trailguard.pipeline.cli.errors import install_safe_logging, run_command, safe_line
from trailguard.pipeline.cli.flows import add_flow_commands
from trailguard.pipeline.cli.parser import Parser
from trailguard.pipeline.cli.report import add_report_command
from trailguard.pipeline.cli.run import add_run_commands
from trailguard.pipeline.cli.synth import add_synth_command
from trailguard.pipeline.cli.triage import add_triage_commands
from trailguard.pipeline.config import DEFAULTS, SettingsError, settings, variable
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.summary import IngestSummary
from trailguard.pipeline.lake.damage import parquet_error
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.sandbox import lock_down, refuse_writes
from trailguard.pipeline.report.output import print_rows

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
        _add_ingest,
        add_check_command,
        _add_query,
        _add_compact,
        _add_export,
        add_detect_commands,
        add_triage_commands,
        add_synth_command,
        add_run_commands,
        add_flow_commands,
        add_report_command,
    ):
        add(sub)
    return parser


def _add_ingest(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ingest", help="CloudTrail objects from S3 or a folder into the lake")
    p.add_argument("--source", required=True, help="s3://bucket[/prefix] or a local folder/file")
    add_lake_arg(p)
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (or AWS_ENDPOINT_URL)")
    p.add_argument("--workers", type=int, default=None, help="worker processes (CPU count)")
    p.add_argument("--strict", action="store_true", help="fail the run if anything is quarantined")
    p.add_argument("--progress", action="store_true", help="progress bar even when not a tty")
    p.add_argument(
        "--max-object-bytes",
        type=size,
        default=settings().max_object_bytes,
        metavar="SIZE",
        help="quarantine an object whose decompressed text is larger, e.g. 256M"
        f" (${variable('max_object_bytes')}, else {DEFAULTS.max_object_bytes >> 20} MiB)",
    )
    p.add_argument(
        "--max-record-bytes",
        type=size,
        default=settings().max_record_bytes,
        metavar="SIZE",
        help="quarantine a record whose JSON text is larger, e.g. 16M"
        f" (${variable('max_record_bytes')}, else {DEFAULTS.max_record_bytes >> 20} MiB)",
    )
    p.set_defaults(command=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    """`trailguard ingest`: creates the lake if needed (and removes it again if the first
    ingest fails); refuses a damaged lake."""
    show = args.progress or sys.stderr.isatty()
    require_sound_lake(args.lake)
    with new_lake_removed_on_failure(args.lake):
        summary = ingest(
            args.source,
            args.lake,
            endpoint_url=args.endpoint_url,
            workers=args.workers,
            strict=args.strict,
            progress=ProgressBar() if show else None,
            limits=ReadLimits(args.max_object_bytes, args.max_record_bytes),
        )
    print(format_summary(summary))
    return 1 if summary.failed else 0


def format_summary(s: IngestSummary) -> str:
    """The closing summary of an ingest run."""
    lines = [
        f"objects read      {s.objects:>12,}   (already ingested: {s.skipped_objects:,})",
        f"records read      {s.records:>12,}",
        f"events written    {s.written:>12,}",
        f"duplicates        {s.duplicates:>12,}",
        f"quarantined       {s.quarantined:>12,}   (+{s.quarantined_objects:,} object-level)",
        f"unreadable objs   {len(s.failed):>12,}",
        f"files skipped     {s.skipped_files:>12,}   (not CloudTrail logs)",
        f"seconds           {s.seconds:>12.1f}   ({s.events_per_second:,.0f} events/s)",
    ]
    lines.extend(f"  unreadable: {safe_line(f'{uri}: {error}')}" for uri, error in s.failed[:20])
    lines.extend(f"  skipped: {safe_line(example)}" for example in s.skipped_examples)
    return "\n".join(lines)


class ProgressBar:
    """A one-line progress display on stderr: objects, events/s."""

    def __init__(self) -> None:
        self.start = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int, records: int) -> None:
        now = time.monotonic()
        if now - self.last < 0.25 and done < total:
            return
        self.last = now
        rate = records / max(now - self.start, 1e-9)
        width = 30
        filled = int(width * done / total) if total else width
        bar = "#" * filled + "-" * (width - filled)
        end = "\n" if done >= total else ""
        print(f"\r[{bar}] {done}/{total} objects  {rate:,.0f} events/s", end=end, file=sys.stderr)


def _add_query(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("query", help="run SQL on the lake (read-only)")
    p.add_argument("sql", help='e.g. "select event_name, count(*) from events group by 1"')
    add_lake_arg(p)
    p.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="bind parameter, used in the SQL as $NAME (repeatable)",
    )
    p.add_argument(
        "--format",
        choices=["table", "csv", "json"],
        default="table",
        help="table (default), csv (formula cells prefixed with ') or json (one object a line)",
    )
    p.set_defaults(command=cmd_query)


@reads_lake
def cmd_query(args: argparse.Namespace) -> int:
    """`trailguard query`: SELECTs only, over the lake's own files (`pipeline.lake.sandbox`);
    values reach SQL only as bind parameters."""
    params = dict(_split_param(p) for p in args.param)
    with open_db(args.lake, read_only=True) as con:
        lock_down(con, args.lake)
        try:
            refuse_writes(con, args.sql)
            cursor = con.execute(args.sql, params or None)
        except duckdb.CatalogException as exc:
            if "Table with name events does not exist" in str(exc):
                raise ValueError(
                    f"the lake {args.lake} holds no events yet: run `trailguard ingest` first"
                ) from None
            raise ValueError(f"query failed: {safe_line(str(exc))}") from None
        except duckdb.Error as exc:  # the user's SQL: its message, not a traceback
            if parquet_error(exc):
                raise  # the lake, not the SQL: said as a damaged lake (exit 65)
            raise ValueError(f"query failed: {safe_line(str(exc))}") from None
        columns = [d[0] for d in cursor.description or []]
        print_rows(columns, cursor.fetchall(), args.format)
    return 0


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep or not name.isidentifier():
        raise ValueError(f"--param takes NAME=VALUE, got {text!r}")
    return name, value


def _add_compact(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("compact", help="merge small Parquet files of the lake")
    add_lake_arg(p)
    p.set_defaults(command=cmd_compact)


@reads_lake
def cmd_compact(args: argparse.Namespace) -> int:
    """`trailguard compact`."""
    from trailguard.pipeline.lake.compact import compact, init_lake

    init_lake(args.lake)
    print(f"merged {compact(args.lake)} files")
    return 0


def _add_export(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("export", help="send new and updated findings to a SIEM or a bucket")
    p.add_argument(
        "--to",
        required=True,
        metavar="DESTINATION",
        help="ndjson:PATH | s3://bucket/prefix | hec:https://HOST:8088 (token in "
        "TRAILGUARD_HEC_TOKEN) | syslog://HOST:PORT | syslog+tls://HOST:PORT[?format=cef] | "
        "securityhub[:REGION]",
    )
    add_lake_arg(p)
    p.add_argument("--batch-size", type=int, default=100, help="findings per request (100)")
    p.add_argument("--max-retries", type=int, default=5, help="retries while unavailable (5)")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request (10)")
    p.add_argument("--endpoint-url", help="S3 / Security Hub compatible endpoint")
    p.add_argument(
        "--securityhub-role",
        default=settings().securityhub_role,
        metavar="ROLE",
        help="role assumed in each account to import its findings into Security Hub: "
        "arn:aws:iam::{account}:role/NAME or NAME "
        f"(${variable('securityhub_role')}, else the caller's account only)",
    )
    p.set_defaults(command=cmd_export)


@reads_lake
def cmd_export(args: argparse.Namespace) -> int:
    """`trailguard export`: 0 all sent, 75 destination unavailable (retry later), 1 refused."""
    from trailguard.pipeline.export.deliver import export_findings

    stats = export_findings(
        args.lake,
        args.to,
        batch_size=args.batch_size,
        max_retries=args.max_retries,
        timeout=args.timeout,
        endpoint_url=args.endpoint_url,
        role=args.securityhub_role,
    )
    print(
        f"{stats.destination}: sent {stats.sent}, refused {stats.failed}, "
        f"cursor {stats.cursor_before} -> {stats.cursor_after}"
    )
    if stats.failed:
        # Refused one by one, each with the destination's reason; the rest went on (exit 0).
        where = "the export_rejects table (`trailguard query` shows it)"
        line = f"trailguard: {stats.destination} refused {stats.failed} finding(s); see {where}"
        print(line, file=sys.stderr)
    if stats.error is None:
        return 0
    print(f"trailguard: export stopped: {stats.error}", file=sys.stderr)
    return 75 if stats.retryable else 1


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
