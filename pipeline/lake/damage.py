"""What `trailguard check` finds, and how a damaged lake is told.

`LakeCheck` holds what `inspect_lake` (`pipeline.lake.check`) found: each partition's Parquet
files as read and the events the ledger recorded for it, and from them what is damaged. The
commands that meet damage rather than look for it raise `LakeDamaged`, end their message with
`damage_advice`, and tell a damaged Parquet file from other errors of DuckDB or Arrow with
`parquet_error`. Plain values and text: nothing here reads the lake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from trailguard.pipeline.lake.layout import EVENTS_DIR, Partition


class LakeDamaged(RuntimeError):
    """The lake lacks events it recorded, or holds a file that cannot be read."""


@dataclass(frozen=True)
class FileCheck:
    """One Parquet file of a partition: its events, and why it cannot be read (or None)."""

    path: Path
    rows: int
    sources: frozenset[str] = frozenset()  # the objects its events were read from
    error: str | None = None


@dataclass(frozen=True)
class PartitionCheck:
    """One partition: its files as found, and the events the ledger says it holds at least."""

    partition: Partition
    files: tuple[FileCheck, ...]
    recorded: int = 0

    @property
    def rows(self) -> int:
        """Events in its readable files."""
        return sum(f.rows for f in self.files if f.error is None)

    @property
    def unreadable(self) -> list[FileCheck]:
        """Its files that cannot be read."""
        return [f for f in self.files if f.error is not None]

    @property
    def problem(self) -> str | None:
        """What is wrong with it, or None."""
        if self.unreadable:
            first = self.unreadable[0]
            more = f" (and {len(self.unreadable) - 1} more)" if len(self.unreadable) > 1 else ""
            return f"cannot read {first.path.name}{more}: {first.error}"
        if self.recorded and not self.files:
            return f"missing ({self.recorded:,} events recorded)"
        if self.rows < self.recorded:
            return f"holds {self.rows:,} of the {self.recorded:,} events recorded"
        return None

    @property
    def folder(self) -> str:
        """Its folder, relative to the lake."""
        p = self.partition
        return f"{EVENTS_DIR}/event_date={p.event_date}/account_id={p.account_id}"


@dataclass
class LakeCheck:
    """What `inspect_lake` found."""

    lake: Path
    partitions: list[PartitionCheck]
    # Object URI -> why it must be read again (its events are in a damaged partition, or none
    # of an object recorded before the ledger existed is left).
    reread: dict[str, str] = field(default_factory=dict)
    # (partition, URI) of objects recorded before the ledger, as found in the files.
    unledgered: set[tuple[Partition, str]] = field(default_factory=set)
    objects: int = 0  # objects in the state
    tables: dict[str, str] = field(default_factory=dict)  # database table -> why unreadable

    @property
    def damaged(self) -> list[PartitionCheck]:
        """Partitions that are missing, short of events, or hold an unreadable file."""
        return [p for p in self.partitions if p.problem is not None]

    @property
    def sound(self) -> bool:
        """Nothing is damaged, no object needs reading again, every table can be read."""
        return not self.damaged and not self.reread and not self.tables

    @property
    def events(self) -> int:
        """Events in the lake's readable files."""
        return sum(p.rows for p in self.partitions)

    @property
    def files(self) -> int:
        """Parquet files in the lake."""
        return sum(len(p.files) for p in self.partitions)

    @property
    def unreadable(self) -> list[Path]:
        """Every file that cannot be read."""
        return [f.path for p in self.partitions for f in p.unreadable]


def damage_advice(lake: Path) -> str:
    """What to run about a damaged lake (the end of every message that reports one)."""
    return (
        f"`trailguard check --lake {lake}` lists what is damaged and "
        f"`trailguard check --repair --lake {lake}` reads its objects again"
    )


def parquet_error(error: BaseException) -> bool:
    """Whether an error of DuckDB or Arrow is a Parquet file of the lake that cannot be read."""
    text = str(error).lower()
    if isinstance(error, pa.ArrowException | duckdb.Error) and "parquet" in text:
        return any(
            sign in text
            for sign in ("magic bytes", "corrupt", "invalid", "truncated", "could not read", "eof")
        )
    return False
