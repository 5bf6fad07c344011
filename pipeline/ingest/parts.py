"""Ingest split into parts (account x region x delivery day) so an orchestrator can fan reads out.

`ingest()` reads and writes a whole source in one process. Here the same work is three steps:
`plan_ingest` lists the source once and groups the new objects by their key's
`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/` folder; `read_part` fetches and decodes one
group and touches nothing but the source, so it can run anywhere (a Dask worker on another
machine); `write_part` adds a group's rows to the lake and commits its objects to the state table,
holding the lake lock. A caller holds the lock from plan to `finish_ingest`, as `ingest()` does:
all rows of a run share one `ingested_at` (the features cursor), so no stage may read the lake
between two of its parts. Keys stay relative to the source root, exactly as `ingest()` records them,
so a partitioned run and a whole-source run skip each other's objects. Writing parts in plan order
(key order) keeps the same first copy of each re-delivered event as `ingest()` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from trailguard.pipeline.config import settings
from trailguard.pipeline.ingest.batch import BatchResult, read_batch
from trailguard.pipeline.ingest.ingest import check_something_found
from trailguard.pipeline.ingest.limits import ReadLimits
from trailguard.pipeline.ingest.sources.layout import ObjectRef, Skipped
from trailguard.pipeline.ingest.sources.open import open_source
from trailguard.pipeline.ingest.state import ensure_tables, ingested_versions, record_run
from trailguard.pipeline.ingest.summary import IngestSummary, run_row
from trailguard.pipeline.ingest.writer import LakeWriter
from trailguard.pipeline.lake.compact import compact, init_lake
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.lock import lake_lock
from trailguard.pipeline.lake.views import refresh_views

# The delivery folder of an object: its account, region and day (after any prefix, `AWSLogs/`
# or an organisation's `o-.../`).
_PART = re.compile(r"^(?:.*/)?\d{12}/CloudTrail/[^/]+/\d{4}/\d{2}/\d{2}/")
OTHER_PART = ""  # objects outside CloudTrail's layout (exports, single files): one part


@dataclass(frozen=True)
class IngestPart:
    """New objects of one delivery folder, in key order."""

    key: str
    refs: tuple[ObjectRef, ...]


@dataclass(frozen=True)
class IngestPlan:
    """What a partitioned run will read: its parts in key order, and how many objects it skips."""

    source: str
    source_name: str
    started: datetime
    parts: tuple[IngestPart, ...]
    skipped_objects: int = 0
    skipped: tuple[Skipped, ...] = ()  # what the listing found and will not read

    @property
    def objects(self) -> int:
        """Objects to read."""
        return sum(len(p.refs) for p in self.parts)


@dataclass
class PartSummary:
    """What writing one part did."""

    part: str
    summary: IngestSummary = field(default_factory=IngestSummary)


def part_of(key: str) -> str:
    """The delivery folder (account x region x day) a key belongs to, or `OTHER_PART`."""
    match = _PART.match(key)
    return match.group(0) if match else OTHER_PART


def plan_ingest(source: str, lake: Path, *, endpoint_url: str | None = None) -> IngestPlan:
    """List `source` once; group the objects not yet in `lake`'s state by delivery folder."""
    src = open_source(source, endpoint_url)
    with lake_lock(lake, purpose="plan ingest"):
        # Taken under the lock: the run's rows carry it as `ingested_at`, the features cursor,
        # so a run that waited for another must not stamp its rows earlier than that one's.
        started = datetime.now(UTC)
        init_lake(lake)  # may finish an interrupted compaction: a write
        with open_db(lake) as con:
            ensure_tables(con)
            done = ingested_versions(con, src.name)
    found = list(src.list_objects())
    listed = [ref for ref in found if isinstance(ref, ObjectRef)]
    skipped = tuple(item for item in found if isinstance(item, Skipped))
    todo = [ref for ref in listed if done.get(ref.key) != ref.version]
    groups: dict[str, list[ObjectRef]] = {}
    for ref in todo:
        groups.setdefault(part_of(ref.key), []).append(ref)
    parts = tuple(IngestPart(k, tuple(v)) for k, v in sorted(groups.items(), key=_first_key))
    return IngestPlan(source, src.name, started, parts, len(listed) - len(todo), skipped)


def _first_key(item: tuple[str, list[ObjectRef]]) -> str:
    return item[1][0].key


def read_part(
    source: str,
    part: IngestPart,
    started: datetime,
    *,
    endpoint_url: str | None = None,
    limits: ReadLimits | None = None,
) -> BatchResult:
    """Fetch, decode and encode one part's objects, each within `limits` (default: the
    settings'); touches only the source. Failed reads are reported. A part is read whole: its
    objects are bounded, their sum only by the part."""
    limits = limits or ReadLimits.of(settings())
    src = open_source(source, endpoint_url, max_bytes=limits.object_bytes)
    return read_batch(src, list(part.refs), started, limits).encode()


def write_part(lake: Path, part: str, result: BatchResult) -> PartSummary:
    """Add one part's rows to the lake, then commit its objects to the state (holding the lock)."""
    done = PartSummary(part)
    with lake_lock(lake, purpose="ingest"):
        writer = LakeWriter(lake, done.summary)
        writer.add(result)
        writer.flush()
        compact(lake, writer.touched)
    return done


def finish_ingest(lake: Path, plan: IngestPlan, parts: list[PartSummary]) -> IngestSummary:
    """Refresh the `events` view and keep the run's summary, as `ingest()` does."""
    total = IngestSummary(skipped_objects=plan.skipped_objects)
    for skipped in plan.skipped:
        total.skip(skipped)
    for p in parts:
        s = p.summary
        total.objects += s.objects
        total.records += s.records
        total.written += s.written
        total.duplicates += s.duplicates
        total.quarantined += s.quarantined
        total.quarantined_objects += s.quarantined_objects
        total.failed.extend(s.failed)
    total.seconds = (datetime.now(UTC) - plan.started).total_seconds()
    with lake_lock(lake, purpose="finish ingest"), open_db(lake) as con:
        refresh_views(con, lake)
        record_run(con, run_row(plan.source_name, plan.started, total))
    check_something_found(plan.source, lake, total)
    return total
