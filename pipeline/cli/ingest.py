"""`trailguard ingest`: CloudTrail objects from S3 or a folder into the lake (`pipeline.ingest`),
with a progress bar and the run's closing summary."""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import (
    add_lake_arg,
    new_lake_removed_on_failure,
    require_sound_lake,
    size,
)
from trailguard.pipeline.cli.errors import safe_line
from trailguard.pipeline.config import DEFAULTS, settings, variable
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.summary import IngestSummary

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_ingest_command(sub: Sub) -> None:
    """Register `ingest` on the `trailguard` parser."""
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
