"""The `trailguard` command: thin; each subcommand calls the same functions as the flows."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

import duckdb

from trailguard.pipeline.cli.args import add_lake_arg
from trailguard.pipeline.cli.detect import add_detect_commands
from trailguard.pipeline.cli.flows import add_flow_commands
from trailguard.pipeline.cli.report import add_report_command
from trailguard.pipeline.cli.run import add_run_commands
from trailguard.pipeline.ingest.ingest import IngestSummary, StrictModeError, ingest
from trailguard.pipeline.lake.db import DatabaseBusy, open_db
from trailguard.pipeline.lake.lock import LakeLocked
from trailguard.pipeline.report.output import print_rows
from trailguard.pipeline.synth.cli import add_synth_command

Command = Callable[[argparse.Namespace], int]
WIRE_LOGGERS = ("botocore", "boto3", "s3transfer", "urllib3", "httpx", "httpcore")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `trailguard` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for name in WIRE_LOGGERS:  # at DEBUG they print request headers: session tokens, key ids
        logging.getLogger(name).setLevel(max(logging.INFO, logging.getLogger().level))
    command: Command = args.command
    try:
        return command(args)
    except (StrictModeError, FileNotFoundError, ValueError) as exc:
        print(f"trailguard: {exc}", file=sys.stderr)
        return 2
    except _aws_errors() as exc:  # S3 unreachable or refusing, after retries
        print(f"trailguard: AWS request failed: {exc}; nothing was marked as read", file=sys.stderr)
        return 1
    except (DatabaseBusy, LakeLocked) as exc:  # another run holds the lake: try again later
        print(f"trailguard: {exc}", file=sys.stderr)
        return 75  # EX_TEMPFAIL


def _aws_errors() -> tuple[type[Exception], ...]:
    """botocore's request errors, once botocore is loaded: until then no exception can be one
    (and a command that never speaks to AWS does not import it)."""
    exceptions = sys.modules.get("botocore.exceptions")
    return (exceptions.BotoCoreError, exceptions.ClientError) if exceptions else ()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="trailguard", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(required=True, metavar="COMMAND")
    for add in (
        _add_ingest,
        _add_query,
        _add_compact,
        _add_export,
        add_detect_commands,
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
    p.set_defaults(command=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    """`trailguard ingest`."""
    show = args.progress or sys.stderr.isatty()
    summary = ingest(
        args.source,
        args.lake,
        endpoint_url=args.endpoint_url,
        workers=args.workers,
        strict=args.strict,
        progress=ProgressBar() if show else None,
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
        f"seconds           {s.seconds:>12.1f}   ({s.events_per_second:,.0f} events/s)",
    ]
    lines.extend(f"  unreadable: {uri}: {error}" for uri, error in s.failed[:20])
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
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.set_defaults(command=cmd_query)


def cmd_query(args: argparse.Namespace) -> int:
    """`trailguard query`: values reach SQL only as bind parameters."""
    params = dict(_split_param(p) for p in args.param)
    with open_db(args.lake, read_only=True) as con:
        try:
            cursor = con.execute(args.sql, params or None)
        except duckdb.Error as exc:  # the user's SQL: its message, not a traceback
            raise ValueError(f"query failed: {exc}") from exc
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


def cmd_compact(args: argparse.Namespace) -> int:
    """`trailguard compact`."""
    from trailguard.pipeline.lake.files import compact, init_lake

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
    p.set_defaults(command=cmd_export)


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
    )
    print(
        f"{stats.destination}: sent {stats.sent}, refused {stats.failed}, "
        f"cursor {stats.cursor_before} -> {stats.cursor_after}"
    )
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
