"""Ingest: CloudTrail objects from S3 or a folder -> the Parquet lake. Incremental, idempotent.

A run lists the source, skips object versions already in the state table, reads the rest in
batches across worker processes (each fetching concurrently) while the listing goes on, and after
each batch of rows is in the lake commits those objects to the state table. A crash between the
two is harmless: the objects are read again next run and their events are dropped as duplicates.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import chain, islice, repeat
from pathlib import Path
from typing import Any

import duckdb
import orjson
import pyarrow as pa

from trailguard.pipeline import faults
from trailguard.pipeline.config import settings
from trailguard.pipeline.ingest.batch import BatchResult, Source
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped
from trailguard.pipeline.ingest.sources.open import open_source
from trailguard.pipeline.ingest.state import (
    OBJECT_STATE,
    QuarantineEntry,
    RunSummary,
    ensure_tables,
    has_objects_of,
    ingested_versions,
    record_objects,
    record_run,
)
from trailguard.pipeline.ingest.workers import read_all
from trailguard.pipeline.lake.compact import compact, init_lake
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.dedup import IdCache, IdWindow
from trailguard.pipeline.lake.encode import EncodedEvents
from trailguard.pipeline.lake.ledger import Ledger
from trailguard.pipeline.lake.lock import holds_lake_lock
from trailguard.pipeline.lake.views import has_events, refresh_views
from trailguard.pipeline.lake.write import write_encoded
from trailguard.pipeline.urls import redact_url, split_s3_uri

log = logging.getLogger(__name__)

# Rows written between two commits of the state table, in Arrow bytes (a CloudTrail row is
# 1-5 KB). Within them a repeated eventID is caught whatever its partition (`IdWindow`); their
# ids are what the writer holds (~100 bytes a row), so this, not the run, bounds its memory.
FLUSH_BYTES = 256 << 20
Progress = Callable[[int, int, int], None]  # (objects done, objects to read, rows read)
# Listed objects looked up in the state table at once: few at first, so that reading starts
# as soon as the listing does, then more.
STATE_CHUNKS = (1024, 4096, 16384)
SKIPPED_EXAMPLES = 20  # files skipped that a summary names


class StrictModeError(RuntimeError):
    """`--strict` was given and the run quarantined records or failed to read objects."""


class EmptySource(ValueError):
    """The source listed no CloudTrail object and the lake holds no events: most likely a wrong
    bucket, prefix or folder (a usage mistake: exit 2); the message says which and what to do."""


@dataclass
class IngestSummary:
    """What a run did. records == written + duplicates + quarantined."""

    objects: int = 0
    records: int = 0
    written: int = 0
    duplicates: int = 0
    quarantined: int = 0
    quarantined_objects: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped_objects: int = 0
    seconds: float = 0.0
    skipped_files: int = 0  # found under the source, not CloudTrail logs: not read
    skipped_examples: list[str] = field(default_factory=list)  # the first few of them

    def skip(self, skipped: Skipped) -> None:
        """Count what the listing will not read: a failed read when it cannot be read."""
        if skipped.unreadable:
            uri, reason = skipped.uri, skipped.reason
            log.error("could not read %s (it will be retried next run): %s", uri, reason)
            self.failed.append((skipped.uri, skipped.reason))
            return
        self.skipped_files += 1
        if len(self.skipped_examples) < SKIPPED_EXAMPLES:
            self.skipped_examples.append(f"{skipped.uri}: {skipped.reason}")

    @property
    def events_per_second(self) -> float:
        """Records read per second of the run."""
        return self.records / self.seconds if self.seconds else 0.0


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


class LakeWriter:
    """Writes batch results' rows as they come; commits their objects' state now and then
    (rows first, state after, so a crash between the two only makes the next run read those
    objects again)."""

    def __init__(self, lake: Path, summary: IngestSummary) -> None:
        self.lake, self.summary = lake, summary
        self.seen = IdCache()
        self.window = IdWindow()  # ids met since the last commit
        self.written = 0  # Arrow bytes of the rows written since the last commit
        self.pending_objects: list[pa.Table] = []  # `object_states`
        self.pending_quarantine: list[QuarantineEntry] = []
        self.ledger = Ledger()  # partitions written since the last commit (`trailguard check`)
        self.touched: set[Path] = set()

    def add(self, result: BatchResult) -> None:
        self.summary.failed.extend(result.failed)
        self.summary.records += result.records
        for uri, error in result.failed:
            log.error("could not read %s (it will be retried next run): %s", uri, error)
        events = result.encoded
        if events is None and result.table.num_rows:  # read here, not in a worker
            events = result.encode().encoded
        if events is not None and events.ids.num_rows:
            self._write(events)
        self.pending_objects.append(result.objects)
        self.pending_quarantine.extend(result.quarantined)
        if self.written >= FLUSH_BYTES:
            self.flush()

    @property
    def pending_count(self) -> int:
        """Objects read whose state is not committed yet."""
        return sum(table.num_rows for table in self.pending_objects)

    def _write(self, events: EncodedEvents) -> None:
        stats = write_encoded(self.lake, events, self.seen, self.window)
        self.summary.written += stats.written
        self.summary.duplicates += stats.duplicates
        self.pending_quarantine.extend(collision_entries(stats.collisions))
        self.ledger.add(stats)
        self.touched.update(stats.partitions)
        self.written += events.nbytes

    def flush(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        """Commit the state of the objects whose rows are written, and see that the `events`
        view is there (the first rows of a lake are queryable as soon as they are committed,
        and the run's end has one thing less to do). Through `con`, if open."""
        faults.crash_point("state_update")
        if con is None:
            with open_db(self.lake) as own:
                self._commit(own)
        else:
            self._commit(con)
        quarantined = self.pending_quarantine
        self.summary.quarantined += sum(q.record_index >= 0 for q in quarantined)
        self.summary.quarantined_objects += sum(q.record_index < 0 for q in quarantined)
        self.summary.objects += self.pending_count
        self.pending_objects, self.pending_quarantine = [], []
        self.ledger = Ledger()
        self.window, self.written = IdWindow(), 0

    def _commit(self, con: duckdb.DuckDBPyConnection) -> None:
        objects = pa.concat_tables([OBJECT_STATE.empty_table(), *self.pending_objects])
        record_objects(con, objects, self.pending_quarantine, self.ledger)
        refresh_views(con, self.lake)


def collision_entries(collisions: list[pa.Table]) -> list[QuarantineEntry]:
    """Quarantine entries for rows whose eventID is already another event's."""
    entries = []
    for table in collisions:
        for row in table.to_pylist():
            reason = (
                f"eventID {row['event_id']!r} collides with a different event already kept "
                "(same id, another time, source or name); real CloudTrail ids never collide"
            )
            raw = orjson.dumps(row, default=str).decode()
            entries.append(
                QuarantineEntry(
                    row["source_key"],
                    row["_object_version"],
                    row["_record_index"],
                    reason,
                    raw,
                    row["ingested_at"],
                )
            )
    return entries


def run_row(source: str, started: datetime, s: IngestSummary) -> RunSummary:
    """The `ingest_runs` row of a finished run."""
    return RunSummary(
        uuid.uuid4().hex,
        redact_url(source),  # a source is shown and exported; credentials never belong in it
        started,
        datetime.now(UTC),
        s.objects,
        s.records,
        s.written,
        s.duplicates,
        s.quarantined,
        len(s.failed),
    )


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
