"""`trailguard export`: new and updated findings to a SIEM or a bucket (`pipeline.export`)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import add_lake_arg, reads_lake
from trailguard.pipeline.config import settings, variable

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_export_command(sub: Sub) -> None:
    """Register `export` on the `trailguard` parser."""
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
    from trailguard.pipeline.lake.recover import write_backup

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
    write_backup(args.lake)  # export cursors exist nowhere else: `check --rebuild-db` restores them
    if stats.error is None:
        return 0
    print(f"trailguard: export stopped: {stats.error}", file=sys.stderr)
    return 75 if stats.retryable else 1
