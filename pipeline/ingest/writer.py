"""The lake writer of an ingest run: batch results' rows into the lake, their objects' state
committed after them.

Rows first, state after: a crash between the two only makes the next run read those objects
again, and their events are then dropped as duplicates. Used by the whole-source run
(`pipeline.ingest.ingest`) and by each part of a partitioned one (`pipeline.ingest.parts`).
"""

from __future__ import annotations

import logging
from pathlib import Path

import duckdb
import orjson
import pyarrow as pa

from trailguard.pipeline import faults
from trailguard.pipeline.ingest.batch import BatchResult
from trailguard.pipeline.ingest.state import OBJECT_STATE, QuarantineEntry, record_objects
from trailguard.pipeline.ingest.summary import IngestSummary
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.dedup import IdCache, IdWindow
from trailguard.pipeline.lake.encode import EncodedEvents
from trailguard.pipeline.lake.ledger import Ledger
from trailguard.pipeline.lake.views import refresh_views
from trailguard.pipeline.lake.write import write_encoded

# The ingest run's logger, by the name its lines have always carried (the CLI prints it).
log = logging.getLogger("trailguard.pipeline.ingest.ingest")

# Rows written between two commits of the state table, in Arrow bytes (a CloudTrail row is
# 1-5 KB). Within them a repeated eventID is caught whatever its partition (`IdWindow`); their
# ids are what the writer holds (~100 bytes a row), so this, not the run, bounds its memory.
FLUSH_BYTES = 256 << 20


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
