"""Run the feature families of `sql/features/*.sql` into the `features` table. Knows no feature.

Grain: one row per principal key, account and hour (`window_start`), for every hour in which the
principal made at least one call. An hour is the unit because attacks are short (minutes to
hours) and GuardDuty's own anomaly findings are about that coarse; quieter hours simply have no
row. Each family is one SELECT returning the key columns plus its own; the first family defines
the rows, the others are joined on to them.

Incremental: the cursor (`feature_state`) is the newest `ingested_at` already featurised. A run
recomputes every hour from the earliest hour any newer event falls in (late events included)
onwards, and leaves older hours alone; a change to the feature SQL or the API catalogue (their
SHA-256 is kept with the cursor) makes the next run a full rebuild. History leaves out the events
inside active findings (`pipeline.features.incidents`): the spans a run used are kept with the
cursor, and a finding added, grown or archived since pulls the next run's start back to its first
hour, as a late event does. The work happens in
in-memory DuckDBs over the Parquet; the lake's database file is only opened for the short read of
the cursor and the short write of the results, so other tools are not locked out.

Sharded (map-reduce over whole accounts, `pipeline.lake.shards`): `plan_features` decides the hours,
looks up new addresses and groups the accounts into shards. Each shard builds the tables of
sql/features/shard/ (its `calls` first) and gather/ from its own accounts' files; `reduce_peers`
computes the organisation's peer tables (sql/features/peers/: a peer group spans accounts) once
from every shard's gathered rows; each shard then runs the families against them, and
`write_features` writes every shard's rows and moves the cursor in one transaction. One shard is
the same SQL in one connection (its calls built once). Shards only read Parquet files,
so they can run anywhere that sees the lake; the caller holds the lake lock from plan to write.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.features.enrich import (
    API_CATEGORIES_CSV,
    IP_INFO_SCHEMA,
    register_reference,
    to_ip_table,
)
from trailguard.pipeline.features.incidents import changed_from, read_spans, write_spans
from trailguard.pipeline.features.queries import KEY_COLUMNS as KEY_COLUMNS
from trailguard.pipeline.features.queries import (
    Tables,
    build_peers,
    gathered,
    prepare,
    reduce_peers,
    run_families,
    scan_lake,
)
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.layout import account_sizes
from trailguard.pipeline.lake.lock import holds_lake_lock
from trailguard.pipeline.lake.shards import Each, Shard, assign, in_turn, rows_of
from trailguard.pipeline.lake.views import has_events, open_lake_reader
from trailguard.pipeline.sqlfiles import SQL_DIR, read_sql
from trailguard.pipeline.transaction import transaction

HISTORY = timedelta(days=30)  # novelty looks back at least this far before the first hour
LEARNING = timedelta(days=7)  # own history a principal needs to be judged against itself
PEER_LEARNING = timedelta(days=3)  # history a peer group needs; before it nothing is novel
BASELINE = timedelta(days=14)  # trailing window of the per-principal baselines


@dataclass(frozen=True)
class FeatureStats:
    """What a feature run did."""

    windows: int  # feature rows written
    principals: int
    window_start: datetime | None  # first hour recomputed (None: nothing to do)
    window_end: datetime | None
    new_ips: int
    seconds: float
    full: bool
    shards: int = 1


@dataclass(frozen=True)
class FeaturePlan:
    """What one feature run computes, decided under the lake lock and handed to every shard."""

    lake: Path
    start: datetime  # first hour recomputed
    end: datetime  # end of the newest hour
    ingested: datetime | None  # the cursor after this run
    full: bool  # replace the whole table (asked for, no cursor yet, or the feature SQL changed)
    signature: str
    ip_info: pa.Table  # every address looked up so far, this run's included
    fresh_ips: pa.Table  # this run's lookups (the write keeps them)
    keys: (
        pa.Table
    )  # every principal of the lake with its integer id (sql/features/plan/30_keys.sql)
    shards: tuple[Shard, ...]
    started: float  # time.monotonic() when the run started
    spans: pa.Table  # active findings' spans, left out of history (features/findings/spans.sql)


@holds_lake_lock  # overlapping runs must not read files a compaction removes
def build_features(lake: Path, *, full: bool = False, shards: int = 1) -> FeatureStats:
    """Compute features for the hours with new events (all hours when `full`) into the lake.

    With `shards` > 1 the accounts are computed a shard at a time: memory holds one shard's
    events, at the cost of building each shard's calls twice."""
    started = time.monotonic()
    plan = plan_features(lake, full=full, shards=shards)
    if plan is None:
        return nothing_new(full, started)
    return write_features(plan, compute_shards(plan))


def nothing_new(full: bool, started: float) -> FeatureStats:
    """The stats of a run that found no new events (or an empty lake)."""
    return FeatureStats(0, 0, None, None, 0, time.monotonic() - started, full, 0)


def plan_features(lake: Path, *, full: bool = False, shards: int = 1) -> FeaturePlan | None:
    """The hours to recompute, new address lookups and shards; None when nothing is new."""
    if shards < 1:
        raise ValueError(f"shards must be at least 1, not {shards}")
    started = time.monotonic()
    with open_db(lake) as con:
        con.execute(read_sql("detect/state.sql"))
        cursor, columns = _cursor(con)
        known_ips = con.sql("SELECT * FROM ip_info").to_arrow_table()
        spans = read_spans(con)
        changed = changed_from(con, spans)  # findings since the stored rows: their hours are stale
    signature = feature_signature()
    if full or columns != signature:
        cursor = None  # asked for, or the feature SQL changed since the stored rows: rebuild
    if not has_events(lake):
        return None
    with open_lake_reader(lake) as mem:
        scan = scan_lake(mem, cursor)
    start = scan.start if cursor is None else _earliest(scan.start, changed)
    if start is None or scan.end is None:
        return None
    fresh = to_ip_table(sorted(set(scan.addresses) - set(known_ips.column("ip").to_pylist())))
    # Only accounts with files the run's history reaches can have rows: the rest sit out.
    weights = account_sizes(lake, (start - HISTORY).date())
    return FeaturePlan(
        lake=lake.resolve(),  # absolute: a shard may run in another working directory
        start=start,
        end=scan.end,
        ingested=scan.ingested,
        full=cursor is None,
        signature=signature,
        ip_info=pa.concat_tables([known_ips.cast(IP_INFO_SCHEMA), fresh]),
        fresh_ips=fresh,
        keys=scan.keys,
        shards=assign(weights, shards),
        started=started,
        spans=spans,
    )


def _earliest(*hours: datetime | None) -> datetime | None:
    known = [hour for hour in hours if hour is not None]
    return min(known) if known else None


def compute_shards(plan: FeaturePlan, each: Each = in_turn) -> list[pa.Table]:
    """Every shard's feature rows; `each` runs the shard functions (a flow maps them as tasks)."""
    if len(plan.shards) == 1:  # nothing to gather: one connection, calls built once
        return each(whole_shard, [(plan,)])
    calls = [(plan, index) for index in range(len(plan.shards))]
    peers = reduce_peers(each(shard_gather, calls), feature_params(plan.start, plan.end))
    return each(shard_features, [(*call, peers) for call in calls])


def whole_shard(plan: FeaturePlan) -> pa.Table:
    """The feature rows of a plan with one shard: its gathered tables are the whole lake's."""
    params = feature_params(plan.start, plan.end)
    with open_shard(plan, 0) as con:
        build_peers(con, params)
        return run_families(con, params)


def shard_gather(plan: FeaturePlan, index: int) -> Tables:
    """Shard `index`'s gather/ tables (reads only its accounts' files)."""
    with open_shard(plan, index) as con:
        return gathered(con)


def shard_features(plan: FeaturePlan, index: int, peers: Tables) -> pa.Table:
    """Shard `index`'s feature rows against the organisation's peer tables (reads only its
    accounts' files)."""
    with open_shard(plan, index) as con:
        return run_families(con, feature_params(plan.start, plan.end), peers)


@contextmanager
def open_shard(plan: FeaturePlan, index: int) -> Iterator[duckdb.DuckDBPyConnection]:
    """An in-memory DuckDB over shard `index`'s accounts, prepared (`feature_sql.prepare`)."""
    # Every shard table scans the Parquet: its files' footers are read once, not per scan.
    with open_lake_reader(plan.lake, accounts=plan.shards[index]) as mem:
        # No feature SQL depends on the order of a table's rows (results are ordered explicitly),
        # so DuckDB need not keep it when two threads fill `calls` (~5 % of its CPU).
        mem.execute("SET preserve_insertion_order = false")
        register_reference(mem, plan.ip_info)
        mem.register("keys", rows_of(plan.keys, plan.shards[index]))
        mem.register("finding_spans", plan.spans)  # shard/incidents.sql keeps its principals'
        prepare(mem, feature_params(plan.start, plan.end))
        yield mem


def write_features(plan: FeaturePlan, tables: list[pa.Table]) -> FeatureStats:
    """Every shard's rows into the lake and the cursor moved, in one transaction."""
    table = tables[0] if len(tables) == 1 else _in_key_order(pa.concat_tables(tables))
    with open_db(plan.lake) as con:
        _write(con, table, plan)
    return FeatureStats(
        table.num_rows,
        pc.count_distinct(table.column("principal_key")).as_py(),
        plan.start,
        plan.end,
        plan.fresh_ips.num_rows,
        time.monotonic() - plan.started,
        plan.full,
        len(plan.shards),
    )


def _in_key_order(table: pa.Table) -> pa.Table:
    """The rows of several shards in key order (each shard's are already, `run_families`)."""
    return table.sort_by([(name, "ascending") for name in KEY_COLUMNS])


def feature_signature() -> str:
    """SHA-256 of every SQL file features depend on: a change means stored rows are stale."""
    digest = hashlib.sha256()
    features = sorted((SQL_DIR / "features").rglob("*.sql"))
    for path in features:
        name = path.relative_to(SQL_DIR).as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes())
    digest.update(API_CATEGORIES_CSV.read_bytes())
    return digest.hexdigest()


def _cursor(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, str | None]:
    rows = con.execute(
        "SELECT ingested_through, columns FROM feature_state WHERE name = 'features'"
    ).fetchall()
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def feature_params(start: datetime, end: datetime) -> dict[str, Any]:
    """The bind parameters every feature file may use."""
    return {
        "window_start": start,
        "window_end": end,
        "history_start": start - HISTORY,
        "learning": LEARNING,
        "peer_learning": PEER_LEARNING,
        "baseline": BASELINE,
    }


def _write(con: duckdb.DuckDBPyConnection, table: pa.Table, plan: FeaturePlan) -> None:
    """Replace recomputed hours, keep new address lookups and the spans left out of history,
    move the cursor: one transaction."""
    con.register("new_features", table)
    con.register("new_ips", plan.fresh_ips)
    with transaction(con):
        if plan.full:
            con.execute("DROP TABLE IF EXISTS features")
            con.execute("CREATE TABLE features AS SELECT * FROM new_features")
        else:
            con.execute("DELETE FROM features WHERE window_start >= $start", {"start": plan.start})
            con.execute("INSERT INTO features BY NAME SELECT * FROM new_features")
        con.execute("INSERT OR IGNORE INTO ip_info SELECT * FROM new_ips")
        write_spans(con, plan.spans)  # what the stored rows left out of history
        con.execute(
            read_sql("detect/feature_cursor.sql"),
            {"ingested": plan.ingested, "columns": plan.signature},
        )


def load_features(
    con: duckdb.DuckDBPyConnection, start: datetime | None = None, end: datetime | None = None
) -> pa.Table:
    """Feature rows with window_start in [start, end) (open bounds when None), key-ordered."""
    sql = read_sql("detect/load_features.sql")
    return con.sql(sql, params={"start": start, "end": end}).to_arrow_table()
