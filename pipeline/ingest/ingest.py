"""Ingest: CloudTrail objects from S3 or a folder -> the Parquet lake. Incremental, idempotent.

A run lists the source, skips object versions already in the state table, reads the rest in
batches across worker processes (each fetching concurrently) while the listing goes on, and after
each batch of rows is in the lake commits those objects to the state table. A crash between the
two is harmless: the objects are read again next run and their events are dropped as duplicates.

This module is the run and the listing of what it reads; the rows and the state are written by
`pipeline.ingest.writer`, and what the run did is an `IngestSummary` (`pipeline.ingest.summary`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

from trailguard.pipeline import faults
from trailguard.pipeline.config import settings
from trailguard.pipeline.ingest.batch import Source
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped
from trailguard.pipeline.ingest.sources.open import open_source
from trailguard.pipeline.ingest.state import (
    ensure_tables,
    has_objects_of,
    ingested_versions,
    record_run,
)
from trailguard.pipeline.ingest.summary import IngestSummary, run_row
from trailguard.pipeline.ingest.workers import read_all
from trailguard.pipeline.ingest.writer import LakeWriter
from trailguard.pipeline.lake.compact import compact, init_lake
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.lock import holds_lake_lock
from trailguard.pipeline.lake.views import has_events
from trailguard.pipeline.urls import redact_url, split_s3_uri

log = logging.getLogger(__name__)

Progress = Callable[[int, int, int], None]  # (objects done, objects to read, rows read)
# Listed objects looked up in the state table at once: few at first, so that reading starts
# as soon as the listing does, then more.
STATE_CHUNKS = (1024, 4096, 16384)


class StrictModeError(RuntimeError):
    """`--strict` was given and the run quarantined records or failed to read objects."""


class EmptySource(ValueError):
    """The source listed no CloudTrail object and the lake holds no events: most likely a wrong
    bucket, prefix or folder (a usage mistake: exit 2); the message says which and what to do."""


@holds_lake_lock  # overlapping runs must not write the lake at once
def ingest(
    source: str,
    lake: Path,
    *,
    endpoint_url: str | None = None,
    workers: int | None = None,
    strict: bool = False,
    progress: Progress | None = None,
    limits: ReadLimits | None = None,
) -> IngestSummary:
    """Read every new object of `source` into `lake`; see the module docstring. Each object is
    read within `limits` (default: the settings', `pipeline.ingest.limits`)."""
    started, clock = datetime.now(UTC), time.monotonic()
    limits = limits or ReadLimits.of(settings())
    init_lake(lake)
    src = open_source(source, endpoint_url, max_bytes=limits.object_bytes)
    with open_db(lake) as con:
        ensure_tables(con)
        seen_before = has_objects_of(con, src.name)
    summary = IngestSummary()
    todo = NewObjects(lake, src, summary, look_up=seen_before)
    writer = LakeWriter(lake, summary)
    for result in read_all(source, endpoint_url, todo, started, workers, limits):
        writer.add(result)
        if progress:  # the listing goes on meanwhile: "to read" is what it has found so far
            progress(summary.objects + writer.pending_count, todo.found, summary.records)
    compact(lake, writer.touched)
    with open_db(lake) as con:  # once, for the last things a run does
        writer.flush(con)
        summary.seconds = time.monotonic() - clock
        record_run(con, run_row(src.name, started, summary))
    check_something_found(source, lake, summary)
    if strict and (summary.quarantined or summary.quarantined_objects or summary.failed):
        raise StrictModeError(_strict_message(summary))
    return summary


class NewObjects:
    """The source's objects not yet in the state table, in key order, as the listing finds them.

    Listed and looked up in the state a chunk at a time: neither the listing nor the state of
    a source is ever held whole, so memory does not grow with the objects a run reads (and
    reading starts while the listing goes on). A source the state knows nothing of (its first
    run, a backfill) is not looked up at all.
    """

    def __init__(
        self, lake: Path, source: Source, summary: IngestSummary, *, look_up: bool = True
    ) -> None:
        self.lake, self.source, self.summary = lake, source, summary
        self.look_up = look_up  # False: the state holds nothing of the source (its first run)
        self.found = 0  # objects to read, so far

    def __iter__(self) -> Iterator[ObjectRef]:
        listing = faults.passing("list", self._objects())
        sizes = chain(STATE_CHUNKS, repeat(STATE_CHUNKS[-1]))
        while chunk := list(islice(listing, next(sizes))):
            done = self._ingested_versions(chunk)
            for ref in chunk:
                if done.get(ref.key) == ref.version:
                    self.summary.skipped_objects += 1
                else:
                    self.found += 1
                    yield ref

    def _objects(self) -> Iterator[ObjectRef]:
        """The listing's objects; what it will not read is counted in the summary."""
        for item in self.source.list_objects():
            if isinstance(item, Skipped):
                self.summary.skip(item)
            else:
                yield item

    def _ingested_versions(self, chunk: list[ObjectRef]) -> dict[str, str]:
        if not self.look_up:
            return {}
        with open_db(self.lake) as con:
            return ingested_versions(con, self.source.name, [ref.key for ref in chunk])


def check_something_found(source: str, lake: Path, s: IngestSummary) -> None:
    """When the listing found no object at all (read now or before), a wrong path or prefix is
    the likely cause: on a lake with no events yet (a first run), `EmptySource`; on a lake with
    events, a warning (a scheduled run with nothing new is normal; a source that lists nothing
    at all may still be a mistake)."""
    if s.objects or s.skipped_objects or s.failed:
        return
    others = f"; {s.skipped_files:,} other files skipped" if s.skipped_files else ""
    if not has_events(lake):
        raise EmptySource(
            f"found no CloudTrail log file under {describe_source(source)}{others}: check"
            " --source (CloudTrail writes s3://BUCKET/[PREFIX/]AWSLogs/ACCOUNT/CloudTrail/REGION/"
            f"YYYY/MM/DD/*.json.gz; export files end in .json, .jsonl or .ndjson[.gz]); nothing"
            f" was written to {lake}"
        )
    log.warning(
        "nothing to ingest: no CloudTrail log found under %s%s. Expected objects laid out as"
        " CloudTrail delivers them (AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/"
        "*.json.gz, under any prefix) or export files (.json, .json.gz, .jsonl, .ndjson)",
        redact_url(source),
        others,
    )


def describe_source(source: str) -> str:
    """`source` for a message: redacted, and an S3 URI's bucket and prefix named apart (a
    prefix that misses `AWSLogs/` by one folder is the common mistake)."""
    shown = redact_url(source)
    if not source.startswith("s3://"):
        return shown
    bucket, prefix = split_s3_uri(source)
    where = f"prefix {prefix!r}" if prefix else "no prefix: the whole bucket"
    return f"{shown} (bucket {bucket!r}, {where})"


def _strict_message(s: IngestSummary) -> str:
    parts: list[Any] = [f"{s.quarantined} records and {s.quarantined_objects} objects quarantined"]
    parts.append(f"{len(s.failed)} objects unreadable")
    return "strict mode: " + ", ".join(str(p) for p in parts) + " (see the quarantine table)"
