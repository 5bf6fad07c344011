"""Attack sequences: the findings of one compromised identity, and of the identities it made,
tied into one Critical finding, as GuardDuty's Extended Threat Detection does
(`AttackSequence:IAM/CompromisedCredentials`).

Recomputed from every active finding after each run: the id is a stable hash of the group's root
principal and the hour of its first strong signal, so a rerun updates the same sequence, and
each member's `sequence_id` names it.

This module reads the findings and links and writes the sequences; which findings make a
sequence (and why) is pipeline/detect/sequence_signals.py, the sequence finding
pipeline/detect/sequence_findings.py.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from trailguard.pipeline.detect.sequence_findings import AttackSequence, to_sequences
from trailguard.pipeline.detect.sequence_signals import DETECTOR, Link, to_signals
from trailguard.pipeline.findings.store import (
    Finding,
    UpsertStats,
    has_findings_table,
    load_findings,
    upsert_findings,
)
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.views import open_lake_reader
from trailguard.pipeline.sqlfiles import read_sql

if TYPE_CHECKING:
    from trailguard.pipeline.detect.detect import DetectStats


def with_sequences(lake: Path, stats: DetectStats) -> DetectStats:
    """`stats` of a detection run with the attack sequences recomputed after it."""
    sequences, stored = run_sequences(lake)
    note = f"{len(sequences)} attack sequence{'s' if len(sequences) != 1 else ''}"
    return dataclasses.replace(
        stats,
        findings=[*stats.findings, *(s.finding for s in sequences)],
        created=stats.created + stored.created,
        updated=stats.updated + stored.updated,
        unchanged=stats.unchanged + stored.unchanged,
        notes=[*stats.notes, note],
    )


def run_sequences(lake: Path) -> tuple[list[AttackSequence], UpsertStats]:
    """Recompute the attack sequences from the lake's active findings, store them and mark
    their members (`sequence_id`); what storing them did."""
    nothing = UpsertStats(created=0, updated=0, unchanged=0)
    with open_db(lake, read_only=True) as con:
        if not has_findings_table(con):  # nothing stored yet (a run with no finding at all)
            return [], nothing
        findings = [f for f in load_findings(con) if f.status == "active"]
        prevalence = dict(
            con.execute(read_sql("detect/sequence_findings.sql"), {"detector": DETECTOR}).fetchall()
        )
    signals_of = [f for f in findings if f.detector != DETECTOR]
    if not signals_of:
        return [], nothing
    with open_lake_reader(lake, metadata_cache=False) as mem:
        links = read_links(mem, signals_of)
        total = int(
            mem.execute("SELECT count(DISTINCT principal_key) FROM events").fetchall()[0][0]
        )
    signals = to_signals(signals_of, prevalence, total)
    sequences = to_sequences(signals, links)
    return sequences, write_sequences(lake, sequences)


def read_links(mem: duckdb.DuckDBPyConnection, findings: Sequence[Finding]) -> list[Link]:
    """Who created, keyed or assumed whom among the principals of `findings`."""
    nodes = sorted({(f.principal, f.account_id or "") for f in findings})
    table = pa.table({"principal": [n[0] for n in nodes], "account_id": [n[1] for n in nodes]})
    mem.register("sequence_principals", table)
    rows = mem.execute(read_sql("detect/sequence_links.sql")).fetchall()
    mem.unregister("sequence_principals")
    return [Link(*row) for row in rows]


def write_sequences(lake: Path, sequences: Sequence[AttackSequence]) -> UpsertStats:
    """Upsert the sequence findings and set every finding's `sequence_id`."""
    members = [(m, s.finding.finding_id) for s in sequences for m in s.members]
    table = pa.table(
        {"finding_id": [m[0] for m in members], "sequence_id": [m[1] for m in members]},
        schema=pa.schema([("finding_id", pa.string()), ("sequence_id", pa.string())]),
    )
    with open_db(lake) as con:
        stored = upsert_findings(con, [s.finding for s in sequences])
        con.register("sequence_members", table)
        con.execute(read_sql("detect/sequence_members.sql"))
        con.unregister("sequence_members")
    return stored
