"""Detection: train the anomaly model, run rules and model, and store findings.

`train_model` and `run_detection` are what the CLI and the Prefect flows call. Both compute in an
in-memory DuckDB over the Parquet lake and open the lake's database file only for short reads and
one short write, so other processes are not locked out. Everything is deterministic: the forest
has a fixed random_state and findings are keyed by detector, principal and episode, so two runs
over the same lake store identical findings.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from trailguard.models.isolation_forest import (
    IsolationForestDetector,
    ModelInfo,
    ModelMismatch,
    latest_model,
    load_model,
    save_model,
)
from trailguard.models.sigma.pack import NO_RULES, SigmaPack, load_pack
from trailguard.pipeline.config import DEFAULTS
from trailguard.pipeline.detect import anomaly
from trailguard.pipeline.detect.anomaly_findings import (
    finding_spans,
    model_findings,
    principals,
)
from trailguard.pipeline.detect.baseline import has_features, too_little_history, windows_per_day
from trailguard.pipeline.detect.cold_start_findings import cold_start_findings
from trailguard.pipeline.detect.feature_baselines import Baselines
from trailguard.pipeline.detect.rule_findings import index_lake, run_rules
from trailguard.pipeline.detect.sequences import with_sequences
from trailguard.pipeline.detect.sigma_findings import run_sigma
from trailguard.pipeline.features.build import load_features
from trailguard.pipeline.features.enrich import IP_INFO_SCHEMA, register_reference
from trailguard.pipeline.findings.store import Finding, upsert_findings
from trailguard.pipeline.findings.suppression import (
    DEFAULT_FILE,
    SuppressionConfig,
    load_suppression,
)
from trailguard.pipeline.findings.triage import archive_by_suppression
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.lock import holds_lake_lock
from trailguard.pipeline.lake.shards import Each, Shard, account_weights, assign, in_turn, rows_of
from trailguard.pipeline.lake.views import has_events, open_lake_reader
from trailguard.pipeline.sqlfiles import read_sql

log = logging.getLogger(__name__)
MIN_TRAINING_ROWS = 50
EPISODE_LOOKBACK = timedelta(days=1)

__all__ = ["DetectPlan", "DetectStats", "ModelInfo", "run_detection", "train_model"]


@dataclass(frozen=True)
class DetectStats:
    """What a detection run did, with the findings it created or changed."""

    rule_findings: int
    ml_findings: int
    created: int
    updated: int
    unchanged: int
    archived: int
    model_version: str | None
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sigma_findings: int = 0  # of the findings, those of Sigma rules (not in rule_findings)


@holds_lake_lock  # one writer of the lake at a time
def train_model(
    lake: Path, *, baseline_days: int = DEFAULTS.baseline_days, now: datetime | None = None
) -> ModelInfo:
    """Fit the isolation forest on the trailing `baseline_days` of feature windows and save it."""
    with open_db(lake, read_only=True) as con:
        end = now or _features_end(con)
        start = end - timedelta(days=baseline_days)
        table = anomaly.without_findings(con, load_features(con, start, end))
        days = windows_per_day(con) if table.num_rows < MIN_TRAINING_ROWS else []
    if table.num_rows < MIN_TRAINING_ROWS:
        found, needed = table.num_rows, MIN_TRAINING_ROWS
        raise ValueError(too_little_history(days, found, needed, start, end, baseline_days))
    model = anomaly.fit(table)
    principals = len(set(table.column("principal_key").to_pylist()))
    return save_model(model, lake, window=(start, end), rows=table.num_rows, principals=principals)


def _features_end(con: duckdb.DuckDBPyConnection) -> datetime:
    if not has_features(con):
        raise ValueError("the lake has no features yet: run `trailguard features` first")
    rows = con.execute("SELECT max(window_start) + INTERVAL 1 HOUR FROM features").fetchall()
    if not rows or rows[0][0] is None:
        raise ValueError("the feature table is empty: run `trailguard features` first")
    value: datetime = rows[0][0]
    return value


@dataclass(frozen=True)
class DetectPlan:
    """What a detection run works on, read from the lake under its lock."""

    lake: Path
    since: datetime | None
    config: SuppressionConfig
    ip_info: pa.Table
    features: pa.Table | None  # rows from a day before `since` on (None: no table yet)
    lake_start: datetime | None  # the first feature hour: the learning period's start
    model: IsolationForestDetector | None  # None: anomaly detection skipped (see notes)
    info: ModelInfo | None
    notes: tuple[str, ...]
    shards: tuple[Shard, ...]  # accounts whose feature rows one scoring task scores
    sigma: SigmaPack = NO_RULES  # the Sigma rules to run, compiled
    trusted_accounts: tuple[str, ...] = ()  # outside accounts sharing with is not exfiltration


@holds_lake_lock  # one writer of the lake at a time
def run_detection(
    lake: Path,
    *,
    since: datetime | None = None,
    suppression: Path | None = None,
    shards: int = 1,
    sigma: Sequence[str] = DEFAULTS.sigma_rules,
    trusted_accounts: Sequence[str] = DEFAULTS.trusted_accounts,
) -> DetectStats:
    """Run every rule, the Sigma rules of `sigma` (folders, or `bundled`) and the latest model
    over the lake (from `since`), upsert the findings. `trusted_accounts`: outside accounts the
    organisation trusts (sharing with them is not exfiltration)."""
    plan = plan_detection(
        lake,
        since=since,
        suppression=suppression,
        shards=shards,
        sigma=sigma,
        trusted_accounts=trusted_accounts,
    )
    return finish_detection(plan, flag_shards(plan))


def plan_detection(
    lake: Path,
    *,
    since: datetime | None = None,
    suppression: Path | None = None,
    shards: int = 1,
    sigma: Sequence[str] = DEFAULTS.sigma_rules,
    trusted_accounts: Sequence[str] = DEFAULTS.trusted_accounts,
) -> DetectPlan:
    """Read the feature rows, address lookups and model a run needs; split the rows in shards;
    compile the Sigma rules of `sigma` (a folder that is not there is an error). The rules count
    `trusted_accounts` as the organisation's own (sharing with them is not exfiltration)."""
    pack = load_pack(sigma)
    config = load_suppression(suppression or lake / DEFAULT_FILE, must_exist=bool(suppression))
    with open_db(lake) as con:
        con.execute(read_sql("detect/state.sql"))
        ip_info = con.sql("SELECT * FROM ip_info").to_arrow_table()
        featurised = has_features(con)
        # Look back a day so that an episode running across `since` keeps its first hour (its id).
        lookback = since - EPISODE_LOOKBACK if since else None
        features = load_features(con, lookback) if featurised else None
        lake_start = _lake_start(con) if featurised else None
    info, model, notes = _model(lake, features, lake_start)
    scored = model is not None and features is not None
    parts = assign(account_weights(features), shards) if scored else ()
    notes += tuple(f"Sigma rule skipped: {s.pack}/{s.path}: {s.reason}" for s in pack.skipped)
    if pack.held_back:
        notes += (
            f"{len(pack.held_back)} bundled Sigma rules are off by default (below level medium, "
            "or reported by an exact rule already): `--sigma bundled-all` runs them",
        )
    return DetectPlan(
        lake,
        since,
        config,
        ip_info,
        features,
        lake_start,
        model,
        info,
        notes,
        parts,
        pack,
        tuple(trusted_accounts),
    )


def flag_shards(plan: DetectPlan, each: Each = in_turn) -> list[anomaly.Window]:
    """The model's flagged windows, a shard of accounts per `anomaly.flag` call (a flow maps
    them as tasks): scoring a row needs only the row and the model."""
    if plan.model is None or plan.features is None or plan.lake_start is None:
        return []
    calls = [(plan.model, rows_of(plan.features, s), plan.lake_start) for s in plan.shards]
    return [window for part in each(anomaly.flag, calls) for window in part]


def finish_detection(plan: DetectPlan, windows: list[anomaly.Window]) -> DetectStats:
    """Run the rules, turn flagged windows into explained findings, upsert them all."""
    if not has_events(plan.lake):
        return DetectStats(0, 0, 0, 0, 0, 0, None, notes=["the lake is empty"])
    with open_lake_reader(plan.lake) as mem:  # footers cached: the run holds the lake's lock
        found = _episodes(plan, windows)
        mem.register("episode_principals", principals(found))  # rule_index keeps their events
        # Rules need every address looked up, features or not.
        fresh = index_lake(mem, plan.ip_info)
        register_reference(mem, pa.concat_tables([plan.ip_info.cast(IP_INFO_SCHEMA), fresh]))
        rule_findings = run_rules(
            mem, plan.config.trusted_networks, plan.since, plan.trusted_accounts
        )
        sigma = run_sigma(mem, plan.sigma, plan.since)
        # History-free signals: from the lake's first hour, model or not (models/cold_start.py).
        cold = cold_start_findings(mem, plan.since)
        ml = cold + _model_findings(mem, plan, found, rule_findings + sigma + cold)
    version = plan.info.version if plan.model and plan.info else None
    stats = _store(plan, rule_findings + sigma + ml, len(ml), version, fresh, len(sigma))
    return with_sequences(plan.lake, stats)  # last: sequences tie the stored findings together


def _episodes(plan: DetectPlan, windows: list[anomaly.Window]) -> list[anomaly.Episode]:
    if plan.model is None or plan.info is None or plan.features is None:
        return []
    return list(anomaly.episodes(windows))


def _model_findings(
    mem: duckdb.DuckDBPyConnection,
    plan: DetectPlan,
    found: list[anomaly.Episode],
    earlier: list[Finding],
) -> list[Finding]:
    if not found or plan.model is None or plan.info is None or plan.features is None:
        return []
    baselines = Baselines(plan.features, plan.model.feature_names_)
    with open_db(plan.lake, read_only=True) as con:  # incidents stay out of the profiles
        stored = anomaly.stored_spans(con)
    spans = finding_spans(stored, earlier)
    return model_findings(mem, found, baselines, plan.info, spans)


def _lake_start(con: duckdb.DuckDBPyConnection) -> datetime | None:
    value: datetime | None = con.execute("SELECT min(window_start) FROM features").fetchall()[0][0]
    return value


def _model(
    lake: Path, features: pa.Table | None, lake_start: datetime | None
) -> tuple[ModelInfo | None, IsolationForestDetector | None, tuple[str, ...]]:
    """The latest model, if it can score these features; else why not."""
    info = latest_model(lake)
    if info is None or features is None or lake_start is None:
        why = "no features yet (run `trailguard features`)" if features is None else "no model yet"
        return info, None, (f"{why}: anomaly detection skipped, the exact rules ran",)
    try:
        return info, load_model(info, anomaly.model_columns(features)), ()
    except ModelMismatch as exc:
        # The exact rules must not wait for a retrain: store theirs, refuse the model loudly.
        log.warning("anomaly detection skipped: %s", exc)
        return info, None, (f"anomaly detection skipped: {exc}",)


def _store(
    plan: DetectPlan,
    findings: list[Finding],
    ml: int,
    version: str | None,
    fresh_ips: pa.Table,
    sigma: int = 0,
) -> DetectStats:
    archived = {f.finding_id: r for f in findings if (r := plan.config.reason(f)) is not None}
    with open_db(plan.lake) as con:
        con.register("new_ips", fresh_ips)
        con.execute("INSERT OR IGNORE INTO ip_info SELECT * FROM new_ips")
        stats = upsert_findings(con, findings)
        newly = sum(archive_by_suppression(con, f, r) for f, r in sorted(archived.items()))
    return DetectStats(
        rule_findings=len(findings) - ml - sigma,
        ml_findings=ml,
        created=stats.created,
        updated=stats.updated,
        unchanged=stats.unchanged,
        archived=newly,  # matched a rule and was not archived already
        model_version=version,
        findings=findings,
        notes=list(plan.notes),
        sigma_findings=sigma,
    )
