"""The anomaly detector on the feature table: train, score, gate, and group windows into episodes.

A window becomes part of a finding only when (1) the forest scores it above the threshold
calibrated on the baseline (or above the baseline's median when it carries a strong signal: a
sensitive API nobody in its peer group ever called), (2) it lies after the lake's
learning period, and (3) it carries at least one concrete signal an analyst can act on
(`has_signal`): something new for the principal, a sensitive call, an attack tool's agent, a jump
in AccessDenied. A score alone is never a finding: that is how isolation forests flood busy
organisations with outliers nobody can explain.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.models.isolation_forest import IsolationForestDetector, Matrix
from trailguard.pipeline.features.build import KEY_COLUMNS, PEER_LEARNING
from trailguard.pipeline.findings.store import has_findings_table
from trailguard.pipeline.sqlfiles import read_sql

EPISODE_GAP = timedelta(hours=1)  # windows closer than this belong to one episode
DESCRIPTIVE = frozenset(["principal_kind", "peer_group"])


def model_columns(table: pa.Table) -> list[str]:
    """The model's features: every numeric column but the keys and `ctx_*` context columns."""
    return [
        f.name
        for f in table.schema
        if f.name not in KEY_COLUMNS
        and f.name not in DESCRIPTIVE
        and not f.name.startswith("ctx_")
        and pa.types.is_floating(f.type)
    ]


def matrix(table: pa.Table, columns: list[str]) -> Matrix:
    """The feature columns as a float matrix (rows in table order)."""
    if table.num_rows == 0:
        return np.zeros((0, len(columns)))
    return np.column_stack([table.column(c).to_numpy(zero_copy_only=False) for c in columns])


def fit(table: pa.Table) -> IsolationForestDetector:
    """Train the detector on baseline feature rows (thresholds calibrated per group too)."""
    columns = model_columns(table)
    return IsolationForestDetector().fit(matrix(table, columns), columns, groups(table))


def stored_spans(con: duckdb.DuckDBPyConnection) -> pa.Table | None:
    """The spans of the lake's active findings (sql/detect/finding_spans.sql); None before the
    first detection run made the table."""
    if not has_findings_table(con):
        return None
    return con.sql(read_sql("detect/finding_spans.sql")).to_arrow_table()


def without_findings(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Table:
    """`table`'s rows outside every active finding of their principal, in their order: the
    training window leaves incidents out."""
    found = stored_spans(con)
    if found is None or found.num_rows == 0 or table.num_rows == 0:
        return table
    numbered = table.append_column("row_id", pa.array(range(table.num_rows), pa.int64()))
    con.register("training", numbered)
    con.register("spans", found)
    try:
        kept: pa.Table = con.sql(read_sql("detect/without_findings.sql")).to_arrow_table()
    finally:
        con.unregister("training")
        con.unregister("spans")
    return kept.drop_columns(["row_id"])


def group_of(kind: str | None, peer_group: str | None) -> str:
    """The calibration group of a principal: `person` (Identity Center sessions, IAM users,
    federated users), `root`, `ci` (role families: deploy roles shared across accounts and
    web-identity CI), `workload` (other roles and sessions) or `service`."""
    peer = peer_group or ""
    if peer.startswith("sso:") or kind in ("iam_user", "federated"):
        return "person"
    if kind == "root":
        return "root"
    if peer.startswith("family:") or kind == "web_identity":
        return "ci"
    if kind in ("role", "role_session"):
        return "workload"
    return "service"


def groups(table: pa.Table) -> list[str]:
    """The calibration group of every row."""
    kinds = table.column("principal_kind").to_pylist()
    peers = table.column("peer_group").to_pylist()
    return [group_of(k, p) for k, p in zip(kinds, peers, strict=True)]


def corroborated(c: Mapping[str, Any]) -> Any:
    """For people: a sensitive novelty (a new non-discovery API, log tampering, an attack tool)
    *and* an unusual context (a new network, country or agent, a never-active hour, an attack
    tool, a jump in AccessDenied, five new APIs at once, or a sensitive API that no one of the
    person's peer group ever called: `strong_signals`). A person trying something new from
    their usual laptop at their usual hour is their job changing, not an intrusion, when it is
    what their colleagues of the same permission set already do; what none of them ever did is
    not a job changing. Of one row, or of many at once (numpy columns, element-wise)."""
    sensitive = (
        (c["novel_sensitive_apis"] > 0) | (c["n_logging_tamper"] > 0) | (c["n_hostile_agent"] > 0)
    )
    context = (
        new_contexts(c)
        | (c["novel_hour"] > 0)
        | ((c["denied_rate_delta"] >= 0.5) & (c["n_events"] >= 10))
        | (c["novel_apis"] >= 5)
        | strong_signals(c)
    )
    return sensitive & context


def has_signal(row: Mapping[str, Any]) -> bool:
    """True when a window shows something concrete, not only an unusual mix of numbers."""
    return bool(signals(row))


def signals(c: Mapping[str, Any]) -> Any:
    """`has_signal` of one row (scalars) or of many at once (numpy columns, element-wise)."""
    new_place = (c["novel_networks"] > 0) & (
        (c["novel_user_agents"] > 0) | (c["novel_countries"] > 0)
    )
    return (
        (c["novel_sensitive_apis"] > 0)
        | (c["novel_apis"] >= 3)
        | new_place
        | (c["n_hostile_agent"] > 0)
        | (c["n_logging_tamper"] > 0)
        | ((c["denied_rate_delta"] >= 0.5) & (c["n_events"] >= 10))
    )


def strong_signal(row: Mapping[str, Any]) -> bool:
    """A sensitive API that neither the principal nor anyone in its peer group ever called.

    That is GuardDuty's "API unusual for this identity" at its sharpest: on the demo organisation
    almost every such window is an attack or a labelled hard negative, while a person trying an
    API their colleagues use daily is not one. Such windows need only a score above the
    baseline's median (the forest must still find them less than ordinary).

    It needs a profile to break: a principal still judged against its peers (cold start) that
    acts from its peers' networks with their tools is a new deployment setting itself up (roles,
    buckets, functions), so it gets no such benefit of the doubt unless *where* it acts from is
    new to its peers too.
    """
    return bool(strong_signals(row))


def strong_signals(c: Mapping[str, Any]) -> Any:
    """`strong_signal` of one row or of many at once (numpy columns, element-wise)."""
    # A brand-new peer group (ctx_new_peer_group) has everything new, its places included: it
    # must clear the threshold itself.
    settled = c["ctx_new_peer_group"] == 0 if "ctx_new_peer_group" in c else True
    return (
        (c["novel_peer_sensitive_apis"] > 0)
        & ((c["ctx_cold_start"] == 0) | new_contexts(c))
        & settled
    )


def new_contexts(c: Mapping[str, Any]) -> Any:
    """Windows from somewhere new (a new network, country or agent family, or a tool): of one
    row, or of many at once (numpy columns, element-wise)."""
    return (
        (c["novel_networks"] > 0)
        | (c["novel_countries"] > 0)
        | (c["novel_user_agents"] > 0)
        | (c["n_hostile_agent"] > 0)
    )


@dataclass(frozen=True)
class Window:
    """One flagged hour of one principal."""

    row: dict[str, Any]
    score: float
    deviations: dict[str, float]


@dataclass(frozen=True)
class Episode:
    """Adjacent flagged windows of one principal: one finding."""

    principal: str
    account_id: str
    windows: list[Window]

    @property
    def start(self) -> datetime:
        """First window's start."""
        value: datetime = self.windows[0].row["window_start"]
        return value

    @property
    def end(self) -> datetime:
        """Last window's end."""
        value: datetime = self.windows[-1].row["window_start"]
        return value + timedelta(hours=1)

    @property
    def score(self) -> float:
        """The highest window score."""
        return max(w.score for w in self.windows)

    def total(self, column: str) -> float:
        """Sum of a feature over the episode's windows."""
        return float(sum(w.row[column] for w in self.windows))


def flag(model: IsolationForestDetector, table: pa.Table, lake_start: datetime) -> list[Window]:
    """Windows above the threshold, past the learning period, with a concrete signal."""
    if table.num_rows == 0:
        return []
    x = matrix(table, model.feature_names_)
    scores = model.score(x)
    since = pa.scalar(lake_start + PEER_LEARNING, type=table.schema.field("window_start").type)
    learned = pc.greater_equal(table.column("window_start"), since).to_numpy(zero_copy_only=False)
    candidates = np.flatnonzero((scores >= model.strong_threshold_) & learned)
    columns = {  # the candidates' numeric columns, for the gates
        f.name: table.column(f.name).to_numpy(zero_copy_only=False)[candidates]
        for f in table.schema
        if pa.types.is_floating(f.type)
    }
    kinds = groups(table.take(pa.array(candidates, type=pa.int64())))
    bars = np.array([model.group_threshold(g) for g in kinds], dtype=np.float64)
    people = np.array([g == "person" for g in kinds], dtype=bool)
    # Root is used a few times a year: there is no profile to be novel against. Every use is the
    # exact rule's (RootCredentialUsage), and its dangerous actions have rules of their own.
    profiled = np.array([g != "root" for g in kinds], dtype=bool)
    above = scores[candidates] >= bars
    gate = signals(columns) & (above | strong_signals(columns)) & profiled
    chosen = candidates[gate & (~people | corroborated(columns))]
    rows = table.take(pa.array(chosen, type=pa.int64())).to_pylist()
    deviations = model.deviations(x[chosen]) if len(chosen) else x[:0]
    names = model.feature_names_
    return [
        Window(row, float(scores[index]), dict(zip(names, map(float, d), strict=True)))
        for index, row, d in zip(chosen, rows, deviations, strict=True)
    ]


def episodes(windows: list[Window]) -> Iterator[Episode]:
    """Group flagged windows per principal into runs of adjacent hours."""
    ordered = sorted(windows, key=lambda w: tuple(w.row[k] for k in KEY_COLUMNS))
    current: list[Window] = []
    for window in ordered:
        if current and not _adjacent(current[-1], window):
            yield _episode(current)
            current = []
        current.append(window)
    if current:
        yield _episode(current)


def _adjacent(previous: Window, window: Window) -> bool:
    same = all(previous.row[k] == window.row[k] for k in ("principal_key", "account_id"))
    gap = window.row["window_start"] - previous.row["window_start"]
    return same and gap <= EPISODE_GAP


def _episode(windows: list[Window]) -> Episode:
    first = windows[0].row
    return Episode(str(first["principal_key"]), str(first["account_id"]), list(windows))
