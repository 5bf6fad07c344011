"""The only module that knows the Parquet layout of the lake.

Layout: `<lake>/events/event_date=YYYY-MM-DD/account_id=<12 digits>/part-*.parquet` (zstd:
every column of a compacted file, all but flags and short codes in a batch's small file).
Rows are partitioned by the event's own date (from `eventTime`, not the delivery date in the key)
and the account the event was recorded in. The lake never holds two rows with one `event_id`:
CloudTrail re-delivers events (global-service events land in two regions' files) and reruns
re-read objects, so each write drops ids already present in the partition. An event's id fixes
its time and account, hence its partition, so checking the partition is enough.

Every file appears atomically (written under a dot-name, then renamed), and compaction keeps a
journal, so a crash at any point leaves either the old files or the new ones, never both.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from trailguard.pipeline.faults import crash_point
from trailguard.pipeline.lake.schema import JSON_FIELDS, SCHEMA

EVENTS_DIR = "events"
COMPACTION_JOURNAL = "_compaction.json"
ROW_GROUP_ROWS = 128_000
COMPACT_MIN_FILES = 8  # compact a partition once it has this many files ...
COMPACT_SMALL_BYTES = 64 << 20  # ... merging those smaller than this
# A partition folder's account: 1 to 64 of [0-9A-Za-z_-], at least one a letter or digit (a name
# of dashes alone, "-" say, reads as an option to shell tools).
_SAFE_ACCOUNT = re.compile(r"^[0-9A-Za-z_-]{1,64}$")
_HAS_ALNUM = r"[0-9A-Za-z]"
# Columns a batch carries to the writer but that are not stored in the lake files.
INTERNAL_COLUMNS = ("_account", "_record_index", "_object_version")
MAX_CACHED_PARTITIONS = 32  # partitions whose event ids a run keeps in memory
# Columns whose values (nearly) never repeat: a dictionary there only costs a hash per value and
# a page per file, for a larger file. Every other column is dictionary-encoded (Parquet's default).
_UNIQUE_COLUMNS = frozenset(["event_id", "event_time", "request_id", "shared_event_id"])
_DICTIONARY_COLUMNS = [name for name in SCHEMA.names if name not in _UNIQUE_COLUMNS]
# Free text and JSON: no query prunes files by their min/max, and computing it costs a string
# comparison per value. Every other column keeps its statistics.
_FREE_TEXT_COLUMNS = frozenset(
    ["user_identity", *JSON_FIELDS.values(), "extra", "error_message", "user_agent"]
)
_STATISTICS_COLUMNS = [name for name in SCHEMA.names if name not in _FREE_TEXT_COLUMNS]
# Flags, short enumerations and account numbers: in a batch's small file (~1,000 rows) their
# pages are a few bytes once dictionary- and run-length-encoded, which zstd only makes larger
# (its frame) while costing a compression context per page: a sixth of such a file's encoding.
# Compaction, whose files are large, compresses every column.
_SMALL_VALUE_COLUMNS = frozenset(
    [
        *("read_only", "management_event", "event_id_derived", "source_is_ip"),
        *("session_mfa_authenticated", "session_credential_from_console", "ingested_at"),
        *("event_version", "event_type", "event_category", "aws_region", "api_version"),
        *("identity_type", "session_issuer_type", "principal_kind", "error_code"),
        *("identity_invoked_by", "recipient_account_id", "identity_account_id"),
        *("session_issuer_account_id", "vpc_endpoint_account_id"),
    ]
)
_BATCH_COMPRESSION = {n: "none" if n in _SMALL_VALUE_COLUMNS else "zstd" for n in SCHEMA.names}
_EMPTY_IDS = pa.schema(
    [
        pa.field("event_id", pa.string()),
        pa.field("_fp", pa.string()),
        pa.field("_row", pa.int64()),
        pa.field("_account", pa.string()),
        pa.field("_record_index", pa.int64()),
        pa.field("_object_version", pa.string()),
        pa.field("_slice", pa.int32()),
        pa.field("_pos", pa.int32()),
    ]
).empty_table()


@dataclass(frozen=True)
class Partition:
    """One folder of the lake: an event date and an account."""

    event_date: str
    account_id: str

    def path(self, lake: Path) -> Path:
        """The partition's folder."""
        return lake / EVENTS_DIR / f"event_date={self.event_date}" / f"account_id={self.account_id}"


@dataclass
class WriteStats:
    """What one write did. `collisions` are rows whose event_id is taken by a different event."""

    written: int = 0
    duplicates: int = 0
    files: int = 0
    collisions: list[pa.Table] = field(default_factory=list)
    # Folders this write wrote to or deduplicated against: the ones a compaction should look at
    # (a rerun after a crash visits what the crashed run left, and tidies it).
    partitions: set[Path] = field(default_factory=set)
    # For the ledger (`pipeline.lake.ledger`): rows written to each partition, and the objects
    # whose events belong there (written now or found there already).
    rows: dict[Partition, int] = field(default_factory=dict)
    sources: dict[Partition, set[str]] = field(default_factory=dict)


def init_lake(lake: Path) -> None:
    """Create the lake folder (owner-only: it holds an audit trail) and recover any compaction."""
    (lake / EVENTS_DIR).mkdir(parents=True, exist_ok=True)
    os.chmod(lake, 0o700)
    for journal in (lake / EVENTS_DIR).glob(f"*/*/{COMPACTION_JOURNAL}"):
        _finish_compaction(journal)
    for leftover in (lake / EVENTS_DIR).glob("*/*/.*.tmp"):
        leftover.unlink()  # a write that crashed before its rename


def partition_accounts(table: pa.Table, fallback: pa.Array) -> pa.Array:
    """The account each row belongs to: recipient account, else the caller's, else the key's."""
    account = pc.coalesce(
        table["recipient_account_id"], table["identity_account_id"], fallback, pa.scalar("unknown")
    )
    safe = pc.and_(
        pc.match_substring_regex(account, _SAFE_ACCOUNT.pattern),
        pc.match_substring_regex(account, _HAS_ALNUM),
    )
    return pc.if_else(safe, account, pa.scalar("invalid"))


def write_events(lake: Path, table: pa.Table, seen: IdCache) -> WriteStats:
    """Append rows to their partitions; each event_id is written once.

    `table` has the lake schema plus the `INTERNAL_COLUMNS` (`_account` from
    `partition_accounts`). A repeated id with the same fingerprint (time, source, name) is a
    re-delivery and is dropped; with another fingerprint it is a collision (hand-made exports
    reuse ids such as "1") and is returned in `collisions` for quarantine, never overwritten.
    """
    return write_encoded(lake, encode_events(table), seen, IdWindow())


@dataclass
class EncodedSlice:
    """One partition's rows of a batch, sorted by time, as the bytes of a Parquet file."""

    partition: Partition
    parquet: bytes
    rows: int
    sources: tuple[str, ...] = ()  # the objects (`source_key`) the rows were read from


@dataclass
class EncodedEvents:
    """A batch's rows made ready for the lake by `encode_events` (in a worker process).

    `ids` holds, in the batch's row order, what `write_encoded` decides with: event_id, `_fp`,
    the row's slice and position in it (`_slice`, `_pos`), and the `INTERNAL_COLUMNS`.
    """

    slices: list[EncodedSlice]
    ids: pa.Table
    nbytes: int  # the rows' size in Arrow: what a writer's buffer is counted in


def encode_events(table: pa.Table) -> EncodedEvents:
    """Split rows (lake schema + `INTERNAL_COLUMNS`) by partition; encode each part (pure).

    The costly half of a write, done where the rows were read: sorting, fingerprints, Parquet
    encoding. What is left for the writer is the id check and the files.
    """
    table = table.append_column("_fp", fingerprints(table))
    table = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    slices, ids = [], []
    for number, (part, rows) in enumerate(_by_partition(table)):
        sources = tuple(s for s in pc.unique(rows["source_key"]).to_pylist() if s is not None)
        slices.append(
            EncodedSlice(part, _parquet(rows.select(SCHEMA.names)), rows.num_rows, sources)
        )
        thin = rows.select(["event_id", "_fp", "_row", *INTERNAL_COLUMNS])
        thin = thin.append_column("_slice", pa.array([number] * rows.num_rows, pa.int32()))
        ids.append(thin.append_column("_pos", pa.array(range(rows.num_rows), pa.int32())))
    thin = pa.concat_tables(ids) if ids else _EMPTY_IDS
    thin = thin.take(pc.sort_indices(thin["_row"])).drop_columns(["_row"])
    return EncodedEvents(slices, thin, table.nbytes)


def write_encoded(lake: Path, events: EncodedEvents, seen: IdCache, window: IdWindow) -> WriteStats:
    """`write_events` for rows `encode_events` prepared: the id checks, then the files.

    `window` holds the ids this writer met since it last committed state: an id seen there is
    a repeat, whatever partition it went to, as it would be in one `write_events` call.
    """
    stats = WriteStats()
    ids = window.drop_repeats(events.ids, stats)
    ids = _first_of_each_id(ids, stats)
    window.add(ids)
    for number, piece in enumerate(events.slices):
        folder = piece.partition.path(lake)
        stats.partitions.add(folder)
        stats.sources.setdefault(piece.partition, set()).update(piece.sources)
        rows = ids.filter(pc.equal(ids["_slice"], number))
        known = seen.ids(lake, piece.partition)
        taken = pc.is_in(rows["event_id"], known.column("event_id"))
        fresh = rows
        if pc.any(taken).as_py():
            fresh = rows.filter(pc.invert(taken))
            _split_repeats(rows.filter(taken), known, stats)
        if fresh.num_rows == piece.rows:
            _write_bytes(folder, piece.parquet)
        elif fresh.num_rows:  # some rows were repeats: the file without them
            everything = pa.array(range(piece.rows), pa.int32())
            _write_bytes(
                folder, _parquet(_decoded(piece).filter(pc.is_in(everything, fresh["_pos"])))
            )
        if fresh.num_rows:
            seen.add(piece.partition, fresh.select(["event_id", "_fp"]))
            stats.rows[piece.partition] = stats.rows.get(piece.partition, 0) + fresh.num_rows
            stats.written += fresh.num_rows
            stats.files += 1
    stats.collisions = [_full_rows(events, c) for c in stats.collisions]
    return stats


def _by_partition(table: pa.Table) -> Iterator[tuple[Partition, pa.Table]]:
    """Each partition's rows, sorted by time: one sort and one `take` of the whole batch, then
    a zero-copy slice per partition (a `take` per partition costs as much again each time)."""
    dates = pc.cast(pc.cast(table["event_time"], pa.date32()), pa.string())
    keys = pc.binary_join_element_wise(dates, table["_account"], "/")
    order = pc.sort_indices(
        pa.table({"_part": keys, "event_time": table["event_time"]}),
        sort_keys=[("_part", "ascending"), ("event_time", "ascending")],
    )
    table = table.take(order)
    offset = 0
    for entry in pc.value_counts(keys.take(order)).to_pylist():  # runs, in sorted order
        event_date, account_id = str(entry["values"]).split("/", 1)
        yield Partition(event_date, account_id), table.slice(offset, entry["counts"])
        offset += entry["counts"]


def fingerprints(table: pa.Table) -> pa.ChunkedArray:
    """What makes two rows with one event_id the same event: its time, source and name."""
    micros = pc.cast(pc.cast(table["event_time"], pa.int64()), pa.string())
    source = pc.fill_null(table["event_source"], "")
    name = pc.fill_null(table["event_name"], "")
    return pc.binary_join_element_wise(micros, source, name, "|")


def _first_of_each_id(table: pa.Table, stats: WriteStats) -> pa.Table:
    """The first row of each event_id; the later ones sorted into duplicates and collisions."""
    if pc.count_distinct(table["event_id"]).as_py() == table.num_rows:
        return table  # the common case: nothing repeats within the batch
    indexed = table.append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    firsts = indexed.group_by("event_id", use_threads=False).aggregate([("_row", "min")])
    is_first = pc.is_in(indexed["_row"], firsts["_row_min"])
    first_rows = table.filter(is_first)
    _split_repeats(table.filter(pc.invert(is_first)), first_rows.select(["event_id", "_fp"]), stats)
    return first_rows


def _split_repeats(repeats: pa.Table, known: pa.Table, stats: WriteStats) -> None:
    """Count repeats of a known (event_id, _fp) as duplicates; keep the others as collisions."""
    if not repeats.num_rows:
        return
    pairs = pc.binary_join_element_wise(repeats["event_id"], repeats["_fp"], "\x1f")
    known_pairs = pc.binary_join_element_wise(known["event_id"], known["_fp"], "\x1f")
    same = pc.is_in(pairs, known_pairs)
    stats.duplicates += pc.sum(same).as_py() or 0
    collided = repeats.filter(pc.invert(same))
    if collided.num_rows:
        stats.collisions.append(collided)


class IdWindow:
    """(event_id, fingerprint) of the first row of each id a writer met since its last commit.

    Within it a repeated id is caught whatever partition each copy belongs to (a hand-made
    export reusing "1" on two days); past it, within the partition only (`IdCache`).
    """

    def __init__(self) -> None:
        self.tables: list[pa.Table] = []

    def drop_repeats(self, ids: pa.Table, stats: WriteStats) -> pa.Table:
        """`ids` without those met before (counted as duplicates or kept as collisions)."""
        if not self.tables:
            return ids
        known = pa.concat_tables(self.tables)
        # Hash the batch and probe the window (not the other way round: the window is larger).
        met = pc.is_in(known["event_id"], ids["event_id"])
        if not pc.any(met).as_py():
            return ids
        known = known.filter(met)
        taken = pc.is_in(ids["event_id"], known["event_id"])
        _split_repeats(ids.filter(taken), known, stats)
        return ids.filter(pc.invert(taken))

    def add(self, ids: pa.Table) -> None:
        """Remember the first rows of a batch (after `drop_repeats`)."""
        self.tables.append(ids.select(["event_id", "_fp"]))


class IdCache:
    """(event_id, fingerprint) already in each partition, read from its files when first needed.

    Bounded: past `MAX_CACHED_PARTITIONS` the least recently used partition is dropped and read
    again from its files (which hold this run's writes too) if it comes back, so memory does not
    grow with the number of events a run ingests.
    """

    def __init__(self, max_partitions: int = MAX_CACHED_PARTITIONS) -> None:
        self._ids: OrderedDict[Partition, pa.Table] = OrderedDict()
        self.max_partitions = max_partitions

    def ids(self, lake: Path, part: Partition) -> pa.Table:
        """Ids present in the partition (including ones written earlier in this run)."""
        if part in self._ids:
            self._ids.move_to_end(part)
            return self._ids[part]
        files = partition_files(part.path(lake))
        columns = ["event_id", "event_time", "event_source", "event_name"]
        tables = [pq.read_table(f, columns=columns) for f in files]
        existing = pa.concat_tables(tables) if tables else SCHEMA.empty_table().select(columns)
        self._ids[part] = pa.table(
            {"event_id": existing["event_id"], "_fp": fingerprints(existing)}
        )
        while len(self._ids) > self.max_partitions:
            self._ids.popitem(last=False)
        return self._ids[part]

    def add(self, part: Partition, ids: pa.Table) -> None:
        """Remember ids just written to `part` (after `ids(part)`, so it is cached)."""
        self._ids[part] = pa.concat_tables([self._ids[part], ids.cast(self._ids[part].schema)])


def partition_files(folder: Path) -> list[Path]:
    """The committed Parquet files of a partition folder (not temporary or hidden ones)."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob("*.parquet") if not p.name.startswith("."))


def touched_partitions(lake: Path) -> list[Path]:
    """Every partition folder of the lake."""
    return sorted(p for p in (lake / EVENTS_DIR).glob("event_date=*/account_id=*") if p.is_dir())


def account_sizes(lake: Path, since: date | None = None) -> dict[str, int]:
    """Bytes of committed Parquet per account, in partitions dated `since` or later."""
    sizes: dict[str, int] = {}
    for folder in touched_partitions(lake):
        day = folder.parent.name.removeprefix("event_date=")
        files = partition_files(folder)
        if files and (since is None or day >= since.isoformat()):
            account = folder.name.removeprefix("account_id=")
            sizes[account] = sizes.get(account, 0) + sum(f.stat().st_size for f in files)
    return sizes


def events_globs(
    lake: Path, accounts: Iterable[str] | None = None, *, relative: bool = False
) -> list[str]:
    """Globs of the lake's Parquet files: every file, or those of `accounts` (each a folder);
    `relative` to the lake's folder, or absolute."""
    events = Path(EVENTS_DIR) if relative else lake.resolve() / EVENTS_DIR
    if accounts is None:
        return [f"{events}/*/*/*.parquet"]
    return [f"{events}/event_date=*/account_id={account}/*.parquet" for account in accounts]


def _parquet(table: pa.Table) -> bytes:
    """Rows of the lake schema as the bytes of one Parquet file (`_BATCH_COMPRESSION`)."""
    sink = pa.BufferOutputStream()
    table = table if table.schema == SCHEMA else table.cast(SCHEMA)
    pq.write_table(
        table,
        sink,
        compression=_BATCH_COMPRESSION,
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=_DICTIONARY_COLUMNS,
        write_statistics=_STATISTICS_COLUMNS,
    )
    return bytes(sink.getvalue())


def _decoded(piece: EncodedSlice) -> pa.Table:
    return pq.read_table(pa.BufferReader(piece.parquet)).cast(SCHEMA)


def _full_rows(events: EncodedEvents, collided: pa.Table) -> pa.Table:
    """Whole rows (lake schema + `INTERNAL_COLUMNS`) of the given `ids` rows, for quarantine."""
    tables = []
    for number in pc.unique(collided["_slice"]).to_pylist():
        mine = collided.filter(pc.equal(collided["_slice"], number))
        rows = _decoded(events.slices[number]).take(mine["_pos"].cast(pa.int64()))
        for name in INTERNAL_COLUMNS:
            rows = rows.append_column(name, mine[name])
        tables.append(rows)
    return pa.concat_tables(tables)


def _write_bytes(folder: Path, data: bytes) -> Path:
    """A new file in `folder`, appearing at once (written under a dot-name, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"part-{uuid.uuid4().hex}.parquet"
    tmp = folder / f".{name}.tmp"
    with _removed_on_error(tmp):  # a full disk: the part written is freed at once
        tmp.write_bytes(data)
    crash_point("parquet_tmp")
    final = folder / name
    os.replace(tmp, final)
    crash_point("parquet_done")
    return final


def compact_partition(folder: Path) -> int:
    """Merge a partition's small files into one once it has many; returns files removed."""
    small = [f for f in partition_files(folder) if f.stat().st_size < COMPACT_SMALL_BYTES]
    if len(small) < COMPACT_MIN_FILES:
        return 0
    name = f"part-{uuid.uuid4().hex}.parquet"
    tmp = folder / f".{name}.tmp"
    with (
        _removed_on_error(tmp),
        pq.ParquetWriter(
            tmp,
            SCHEMA,
            compression="zstd",
            use_dictionary=_DICTIONARY_COLUMNS,
            write_statistics=_STATISTICS_COLUMNS,
        ) as writer,
    ):
        for path in small:  # one file in memory at a time
            writer.write_table(pq.read_table(path).cast(SCHEMA), row_group_size=ROW_GROUP_ROWS)
    journal = folder / COMPACTION_JOURNAL
    with _removed_on_error(tmp):
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
    with _removed_on_error(tmp):
        tmp.write_text(json.dumps(plan))
    os.replace(tmp, journal)


@contextmanager
def _removed_on_error(path: Path) -> Iterator[None]:
    """Remove `path` if the block fails (a write refused half-way: a full disk, a quota)."""
    try:
        yield
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def _finish_compaction(journal: Path) -> None:
    """Complete (or undo) a compaction that a crash may have interrupted."""
    plan = json.loads(journal.read_text())
    folder = journal.parent
    if (folder / plan["new"]).exists():
        for old in plan["old"]:
            (folder / old).unlink(missing_ok=True)
    journal.unlink()


def compact(lake: Path, folders: Iterable[Path] | None = None) -> int:
    """Compact the given partitions (default: all); returns the number of files merged away."""
    # An empty collection means "nothing was written": compact nothing, not every partition.
    targets = touched_partitions(lake) if folders is None else folders
    return sum(compact_partition(f) for f in targets)
