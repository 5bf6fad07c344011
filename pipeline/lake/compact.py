"""Merging a partition's small files into one, and finishing what a crash interrupted.

Each batch writes a small file per partition; once a partition has `COMPACT_MIN_FILES` of them
they are merged. Compaction keeps a journal (`_compaction.json`: the new file and the old ones),
so a crash at any point leaves either the old files or the new one, never both: `init_lake`,
which every run calls before writing, completes or undoes a compaction left half-done and
removes the files of writes a crash cut short.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from trailguard.pipeline.faults import crash_point
from trailguard.pipeline.lake.atomic import removed_on_error
from trailguard.pipeline.lake.layout import (
    EVENTS_DIR,
    new_part_name,
    partition_files,
    touched_partitions,
)
from trailguard.pipeline.lake.parquet import ROW_GROUP_ROWS, compacted_writer
from trailguard.pipeline.lake.schema import SCHEMA

COMPACTION_JOURNAL = "_compaction.json"
COMPACT_MIN_FILES = 8  # compact a partition once it has this many files ...
COMPACT_SMALL_BYTES = 64 << 20  # ... merging those smaller than this


def init_lake(lake: Path) -> None:
    """Create the lake folder (owner-only: it holds an audit trail) and recover any compaction."""
    (lake / EVENTS_DIR).mkdir(parents=True, exist_ok=True)
    os.chmod(lake, 0o700)
    for journal in (lake / EVENTS_DIR).glob(f"*/*/{COMPACTION_JOURNAL}"):
        _finish_compaction(journal)
    for leftover in (lake / EVENTS_DIR).glob("*/*/.*.tmp"):
        leftover.unlink()  # a write that crashed before its rename


def compact(lake: Path, folders: Iterable[Path] | None = None) -> int:
    """Compact the given partitions (default: all); returns the number of files merged away."""
    # An empty collection means "nothing was written": compact nothing, not every partition.
    targets = touched_partitions(lake) if folders is None else folders
    return sum(compact_partition(f) for f in targets)


def compact_partition(folder: Path) -> int:
    """Merge a partition's small files into one once it has many; returns files removed."""
    small = [f for f in partition_files(folder) if f.stat().st_size < COMPACT_SMALL_BYTES]
    if len(small) < COMPACT_MIN_FILES:
        return 0
    name = new_part_name()
    tmp = folder / f".{name}.tmp"
    with removed_on_error(tmp), compacted_writer(tmp) as writer:
        for path in small:  # one file in memory at a time
            writer.write_table(pq.read_table(path).cast(SCHEMA), row_group_size=ROW_GROUP_ROWS)
    journal = folder / COMPACTION_JOURNAL
    with removed_on_error(tmp):
        _write_journal(journal, {"new": name, "old": [p.name for p in small]})
    crash_point("compact_journal")
    os.replace(tmp, folder / name)
    crash_point("compact_swap")
    _finish_compaction(journal)
    return len(small)


def _write_journal(journal: Path, plan: dict[str, Any]) -> None:
    """The compaction journal, whole or not at all (written under a dot-name, then renamed): a
    journal cut short by a full disk would stop every later run at `init_lake`."""
    tmp = journal.with_name(f".{journal.name}.tmp")
    with removed_on_error(tmp):
        tmp.write_text(json.dumps(plan))
    os.replace(tmp, journal)


def _finish_compaction(journal: Path) -> None:
    """Complete (or undo) a compaction that a crash may have interrupted."""
    plan = json.loads(journal.read_text())
    folder = journal.parent
    if (folder / plan["new"]).exists():
        for old in plan["old"]:
            (folder / old).unlink(missing_ok=True)
    journal.unlink()
