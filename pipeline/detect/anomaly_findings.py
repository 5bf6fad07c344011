"""Anomaly findings: the model's flagged windows grouped in episodes, explained and typed.

The explanations read the enriched events of the principals with an episode (built once per
run from `rule_index`, sql/detect/episode_events.sql) and profile every episode in one query: a
query per finding rescanned the enriched events each time, which grew with findings times events.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime

import duckdb
import pyarrow as pa

from trailguard.models.isolation_forest import ModelInfo
from trailguard.pipeline.detect.anomaly import Episode
from trailguard.pipeline.detect.explain import (
    describe,
    explain,
    history_start,
    profiles,
    techniques,
)
from trailguard.pipeline.detect.feature_baselines import Baselines
from trailguard.pipeline.detect.judge import finding_type, severity
from trailguard.pipeline.features.build import feature_params
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding, finding_id
from trailguard.pipeline.sqlfiles import read_sql

ML_DETECTOR = "isolation_forest"
MIN_SEVERITY = 4.0  # Medium: an anomaly finding needs two kinds of evidence
Sources = dict[str, list[str]]
# The keys of the evidence, in the order it has always been stored in (written even when empty:
# the stored evidence of the same finding must not change).
EVIDENCE_KEYS = (
    "summary",
    "score",
    "windows",
    "cold_start",
    "peer_group",
    "history_days",
    "top_features",
    "unusual",
    "profile",
    "sensitive_calls",
    "source_ips",
    "user_agents",
    "regions",
    "threshold",
)


def model_findings(
    mem: duckdb.DuckDBPyConnection,
    found: list[Episode],
    baselines: Baselines,
    info: ModelInfo,
    findings: pa.Table | None = None,
) -> list[Finding]:
    """One explained finding per episode (needs `rule_index`, built with the episodes'
    `principals` registered as `episode_principals`). `findings`: the spans of active findings
    (`finding_spans`), whose events the profiles' history leaves out."""
    if not found:
        return []
    enrich_episode_events(mem, found)
    mem.register("episode_spans", spans(found))
    if findings is not None and findings.num_rows:
        mem.register("finding_spans", findings)
        mem.execute(read_sql("detect/mark_finding_events.sql"))
        mem.unregister("finding_spans")
    try:
        profiled = profiles(mem, len(found))
        sources = read_sources(mem, len(found))
    finally:
        mem.unregister("episode_spans")
    findings = [
        ml_finding(e, explain(e, baselines, p), s, info)
        for e, p, s in zip(found, profiled, sources, strict=True)
    ]
    # One kind of evidence is Low (judge.severity): not worth an analyst's time, not stored.
    return [f for f in findings if f.severity >= MIN_SEVERITY]


def enrich_episode_events(mem: duckdb.DuckDBPyConnection, found: list[Episode]) -> None:
    """The `enriched` table of the episodes' principals, over their profiles' history."""
    params = feature_params(history_start(found), max(e.end for e in found))
    mem.execute(read_sql("detect/episode_events.sql"))
    sql = read_sql("detect/events_enriched.sql")
    mem.execute(sql, {k: params[k] for k in ("history_start", "window_end")})


def principals(found: list[Episode]) -> pa.Table:
    """The (principal_key, account_id) pairs with an episode."""
    keys = sorted({(e.principal, e.account_id) for e in found})
    return pa.table(
        {"principal_key": [k[0] for k in keys], "account_id": [k[1] for k in keys]},
        schema=pa.schema([("principal_key", pa.string()), ("account_id", pa.string())]),
    )


def spans(found: list[Episode]) -> pa.Table:
    """The episodes, numbered in order: principal, account and [span_start, span_end)."""
    moment = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "episode": pa.array(range(len(found)), pa.int64()),
            "principal_key": pa.array([e.principal for e in found], pa.string()),
            "account_id": pa.array([e.account_id for e in found], pa.string()),
            "span_start": pa.array([e.start for e in found], moment),
            "span_end": pa.array([e.end for e in found], moment),
        }
    )


def read_sources(mem: duckdb.DuckDBPyConnection, count: int) -> list[Sources]:
    """Each registered episode's source addresses, user agents and regions."""
    rows: dict[int, list[tuple[object, ...]]] = defaultdict(list)
    for episode, *row in mem.execute(read_sql("detect/episode_sources.sql")).fetchall():
        rows[episode].append(tuple(row))
    return [_sources(rows.get(number, [])) for number in range(count)]


def _sources(rows: list[tuple[object, ...]]) -> Sources:
    return {
        "source_ips": sorted({str(r[0]) for r in rows if r[0]}),
        "user_agents": sorted({str(r[1]) for r in rows if r[1]})[:10],
        "regions": sorted({str(r[2]) for r in rows if r[2]}),
    }


def ml_finding(episode: Episode, explained: Evidence, sources: Sources, info: ModelInfo) -> Finding:
    """The finding of one explained episode."""
    evidence = dataclasses.replace(
        explained,
        source_ips=tuple(sources["source_ips"]),
        user_agents=tuple(sources["user_agents"]),
        regions=tuple(sources["regions"]),
        threshold=round(info.threshold, 4),
        key_order=EVIDENCE_KEYS,
    )
    kind = finding_type(episode, evidence)
    attack, stratus = techniques(evidence)
    evidence = dataclasses.replace(
        evidence, extra={**evidence.extra, "attack": attack, "stratus": stratus}
    )
    tactic = kind.split(":", 1)[0]
    regions = sources["regions"]
    return Finding(
        finding_id=finding_id(ML_DETECTOR, episode.principal, _episode_key(episode)),
        type=kind,
        severity=severity(episode, info.threshold, evidence),
        title=f"{tactic}: unusual behaviour of {episode.principal.rsplit('/', 1)[-1]}",
        description=describe(episode, evidence, kind),
        account_id=episode.account_id,
        principal=episode.principal,
        region=regions[0] if len(regions) == 1 else None,
        first_seen=episode.start,
        last_seen=episode.end,
        event_count=int(episode.total("n_events")),
        detector=ML_DETECTOR,
        evidence=evidence,
        score=round(episode.score, 4),
        model_version=info.version,
    )


def _episode_key(episode: Episode) -> str:
    start: datetime = episode.start
    return f"{episode.account_id}/{start:%Y-%m-%dT%H}"


def finding_spans(stored: pa.Table | None, new: list[Finding]) -> pa.Table:
    """The spans of the stored active findings (sql/detect/finding_spans.sql) and of `new` ones
    (this run's rules), as one table: Medium and High only (a Low one is informational)."""
    moment = _MOMENT
    new = [f for f in new if f.severity >= MIN_SEVERITY]
    added = pa.table(
        {
            "principal_key": pa.array([f.principal for f in new], pa.string()),
            "account_id": pa.array([f.account_id for f in new], pa.string()),
            "first_seen": pa.array([f.first_seen for f in new], moment),
            "last_seen": pa.array([f.last_seen for f in new], moment),
        }
    )
    if stored is None or not stored.num_rows:
        return added
    return pa.concat_tables([stored.select(added.column_names).cast(added.schema), added])


_MOMENT = pa.timestamp("us", tz="UTC")
