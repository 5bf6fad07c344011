"""`trailguard check --repair` and `--rebuild-db`: a damaged lake made whole from its source.

Repairing (`repair_lake`): the unreadable files are moved aside (`damaged/<time>/`), the state of
every object whose events were in a damaged partition is forgotten, and each source those objects
came from is ingested again. Ingest reads the forgotten objects and drops every event the lake
still holds as a duplicate, so exactly the lost events come back (and the features cursor sees
them as new). A source that cannot be read gets its objects' state back, so the damage stays
reported.

Rebuilding the database (`rebuild_database`): the damaged file is moved aside, the tables that
exist nowhere else (findings, export cursors, run history) are salvaged from it where DuckDB can
still read them or else from the last backup, the objects' state is rebuilt by reading the
source again (nothing is written twice), and the features are computed again.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow.compute as pc

from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.state import ensure_tables, forget_objects, remember_objects
from trailguard.pipeline.ingest.summary import IngestSummary
from trailguard.pipeline.lake import recover
from trailguard.pipeline.lake.check import inspect_lake, record_sound, set_aside
from trailguard.pipeline.lake.damage import LakeCheck
from trailguard.pipeline.lake.db import db_path, open_db
from trailguard.pipeline.lake.ledger import record_counts
from trailguard.pipeline.lake.lock import lake_lock
from trailguard.pipeline.lake.views import has_events, open_lake_reader, refresh_views
from trailguard.pipeline.sqlfiles import read_sql
from trailguard.pipeline.urls import redact_url, source_location

log = logging.getLogger(__name__)
Ingest = Callable[[str, Path], IngestSummary]


@dataclass
class Repair:
    """What `repair_lake` found and did."""

    before: LakeCheck
    after: LakeCheck
    moved_to: Path | None = None  # where unreadable files went
    reread: dict[str, IngestSummary] = field(default_factory=dict)  # source -> its ingest
    failed: dict[str, str] = field(default_factory=dict)  # source -> why it was not read

    @property
    def restored(self) -> int:
        """Events the lake holds now that it did not before."""
        return self.after.events - self.before.events


def check_lake(lake: Path, *, quick: bool = False) -> LakeCheck:
    """`inspect_lake` under the lake's lock; a sound lake's files become the ledger, and the
    tables that exist nowhere else are backed up."""
    with lake_lock(lake, purpose="check the lake"):
        with open_db(lake) as con:
            ensure_tables(con)  # a lake written before the ledger gains its tables
            found = inspect_lake(lake, con, quick=quick)
            if found.sound:
                record_sound(con, found)
        if found.sound:
            recover.write_backup(lake)
    return found


def repair_lake(
    lake: Path,
    *,
    endpoint_url: str | None = None,
    quick: bool = False,
    reader: Ingest | None = None,
) -> Repair:
    """Move unreadable files aside and read the objects of damaged partitions again (see the
    module docstring); `reader` ingests one source (default: `ingest`)."""
    read = reader or (lambda source, into: ingest(source, into, endpoint_url=endpoint_url))
    with lake_lock(lake, purpose="repair the lake"):
        with open_db(lake) as con:
            ensure_tables(con)
            before = inspect_lake(lake, con, quick=quick)
        done = Repair(before, before)
        if before.sound:
            return done
        done.moved_to = set_aside(lake, before.unreadable)
        with open_db(lake) as con:
            reread = set(before.reread) | collision_partners(lake, con, before.reread)
            forgotten = forget_objects(con, reread)
        for source in sorted(set(forgotten.column("source").to_pylist())):
            try:
                done.reread[source] = read(source_location(source), lake)
            except Exception as exc:  # reported; its objects stay damaged
                done.failed[source] = redact_url(f"{type(exc).__name__}: {exc}")
                mine = forgotten.filter(pc.equal(forgotten["source"], source))
                with open_db(lake) as con:
                    remember_objects(con, mine)
        with open_db(lake) as con:
            # What the damaged partitions must hold is what they held before (the ingest just
            # now counted only the events it wrote again).
            record_counts(con, {p.partition: p.recorded for p in before.damaged if p.recorded})
            done.after = inspect_lake(lake, con, quick=quick)
            if done.after.sound:
                record_sound(con, done.after)
        if done.after.sound:
            recover.write_backup(lake)
    return done


def collision_partners(lake: Path, con: duckdb.DuckDBPyConnection, uris: Iterable[str]) -> set[str]:
    """The objects holding the events that records of `uris` collided with (same eventID, a
    different event: quarantined by the writer). Read again in the same run, they come first in
    key order as they did, so the collision is found again instead of a second row with that id
    being written into a repaired partition."""
    ids = [
        str(row[0])
        for row in con.execute(read_sql("lake/collided_ids.sql"), {"uris": list(uris)}).fetchall()
        if row[0] is not None
    ]
    if not ids or not has_events(lake):
        return set()
    with open_lake_reader(lake, metadata_cache=False) as reader:
        rows = reader.execute(read_sql("lake/objects_of_events.sql"), {"ids": ids}).fetchall()
    return {str(uri) for (uri,) in rows}


@dataclass
class Rebuild:
    """What `rebuild_database` did."""

    moved_to: Path
    salvaged: recover.Salvage
    sources: list[str] = field(default_factory=list)  # read again to rebuild the state
    reread: dict[str, IngestSummary] = field(default_factory=dict)
    features: int = 0  # feature windows computed again


def rebuild_database(
    lake: Path,
    *,
    sources: Sequence[str] = (),
    endpoint_url: str | None = None,
    reader: Ingest | None = None,
) -> Rebuild:
    """Replace a damaged database (see the module docstring); `sources` are read again when the
    objects' state cannot be salvaged (default: the sources of the salvaged run history)."""
    read = reader or (lambda source, into: ingest(source, into, endpoint_url=endpoint_url))
    with lake_lock(lake, purpose="rebuild the database"):
        found = recover.salvage(db_path(lake), recover.backup_path(lake))
        wanted = _sources(found, sources)
        moved = recover.move_aside(lake)
        recover.restore(lake, found)
        done = Rebuild(moved, found, wanted)
        for source in wanted:  # a failure stops here: the damaged file is kept aside
            done.reread[source] = read(source_location(source), lake)
        with open_db(lake) as con:
            refresh_views(con, lake)
        done.features = build_features(lake, full=True).windows
        recover.write_backup(lake)
    return done


def _sources(found: recover.Salvage, given: Sequence[str]) -> list[str]:
    """The sources to read again: those given; else none when the objects' state was salvaged,
    or the sources the run history names."""
    if given or found.has("ingest state"):
        return list(given)
    runs = found.tables.get("ingest_runs")
    known = sorted(set(runs.column("source").to_pylist())) if runs is not None else []
    if not known:
        raise ValueError(
            "the objects' state cannot be read from the damaged database and no run history "
            "names its sources: give them with --source (repeatable)"
        )
    return known
