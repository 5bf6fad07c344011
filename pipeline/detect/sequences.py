"""Attack sequences: the findings of one compromised identity, and of the identities it made,
tied into one Critical finding, as GuardDuty's Extended Threat Detection does
(`AttackSequence:IAM/CompromisedCredentials`).

A sequence is about a *group* of principals: one principal and those it created (CreateUser,
CreateRole), handed keys to (CreateAccessKey, CreateLoginProfile) or whose credentials it
obtained (AssumeRole, GetFederationToken: the new session's key), as sql/detect/sequence_links.sql
finds them. Within a group, the strong signals that start within WINDOW (24 hours, the span
GuardDuty's sequences cover: an intrusion runs from discovery to persistence or exfiltration in
hours, and a day keeps one busy person's unrelated weeks apart) of the first one form a candidate;
it becomes a sequence when its signals are at least two kinds of finding (detector and type) and
cover at least two ATT&CK tactics, one of them past discovery (persistence, privilege escalation,
credential access, defence evasion, execution, lateral movement, exfiltration or impact): one
noisy principal repeating one kind of finding never does, however many tactics the calls of those
findings span (a new CI role's first deployments are one anomaly finding per episode, each with
discovery, IAM and credential calls).

A signal is strong when it is Medium or worse and is not common: a detector and type that fired
for more than NOISY_SHARE of the lake's principals (at least NOISY_MIN) is context, listed with
the sequence but not counted as a stage. An anomaly finding's sensitive calls (discovery,
credential access...) add their tactics: the model's one finding per episode names only its
highest tactic.

Recomputed from every active finding after each run: the id is a stable hash of the group's root
principal and the hour of its first strong signal, so a rerun updates the same sequence, and
each member's `sequence_id` names it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from trailguard.pipeline.findings.attack import TACTICS, technique_for
from trailguard.pipeline.findings.evidence import Evidence, SampleEvent
from trailguard.pipeline.findings.store import (
    Finding,
    UpsertStats,
    finding_id,
    has_findings_table,
    load_findings,
    upsert_findings,
)
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.views import open_lake_reader
from trailguard.pipeline.sqlfiles import read_sql

if TYPE_CHECKING:
    from trailguard.pipeline.detect.detect import DetectStats

DETECTOR = "sequences"
SEQUENCE_TYPE = "AttackSequence:IAM/CompromisedCredentials"
WINDOW = timedelta(hours=24)
MIN_TACTICS = 2
MIN_SIGNALS = 2  # one finding is never a sequence, whatever tactics it names
MIN_KINDS = 2  # nor one kind of finding (detector and type) repeated
NOISY_SHARE, NOISY_MIN = 0.02, 5
MEDIUM = 4.0
KEY_EVENTS_PER_MEMBER = 2

# The anomaly model's API categories (sql/reference/api_categories.csv) as tactics.
CATEGORY_TACTICS = {
    "discovery": "Discovery",
    "credential_access": "Credential Access",
    "logging_tamper": "Defense Evasion",
    "iam_mutation": "Persistence",
    "persistence": "Persistence",
    "data_sharing": "Exfiltration",
    "remote_execution": "Execution",
    "compute_launch": "Impact",
}
EARLY = frozenset({"Discovery", "Initial Access"})
# ATT&CK's order of tactics: stages first seen at the same time are told in this order.
KILL_CHAIN = (
    "Initial Access",
    "Discovery",
    "Execution",
    "Credential Access",
    "Privilege Escalation",
    "Persistence",
    "Defense Evasion",
    "Lateral Movement",
    "Exfiltration",
    "Impact",
)
TACTIC_IDS = {name: uid for uid, name in TACTICS.values()}

Node = tuple[str, str]  # (principal key, account id)


@dataclass(frozen=True)
class Link:
    """A principal (`parent`) made or obtained the credentials `child` then acted with."""

    parent: str
    account_id: str
    event_id: str
    event_time: datetime
    event_name: str
    child: str
    child_account: str


@dataclass(frozen=True)
class Signal:
    """A finding as a sequence sees it: its tactics (in order) and whether it makes a stage."""

    finding: Finding
    tactics: tuple[str, ...]
    strong: bool


@dataclass(frozen=True)
class AttackSequence:
    """A sequence finding and the ids of its member findings."""

    finding: Finding
    members: tuple[str, ...]


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


def tactics_of(finding: Finding) -> tuple[str, ...]:
    """The ATT&CK tactics a finding shows: its type's (the one table the exports use too,
    pipeline/findings/attack.py), then its sensitive calls' categories."""
    technique = technique_for(finding.type)
    found = [technique.tactic_name] if technique else []
    for category in sorted(finding.evidence.sensitive_calls):
        tactic = CATEGORY_TACTICS.get(category)
        if tactic and tactic not in found:
            found.append(tactic)
    return tuple(found)


def to_signals(
    findings: Iterable[Finding], prevalence: dict[str, int], principals: int
) -> list[Signal]:
    """Each finding with its tactics, strong when Medium or worse and not common."""
    noisy = max(NOISY_MIN, NOISY_SHARE * principals)
    return [
        Signal(f, tactics_of(f), f.severity >= MEDIUM and prevalence.get(f.finding_id, 1) <= noisy)
        for f in findings
        if f.detector != DETECTOR
    ]


def groups(signals: Sequence[Signal], links: Sequence[Link]) -> list[list[Signal]]:
    """Signals grouped by principal and the principals it made or obtained (union-find)."""
    parent: dict[Node, Node] = {}

    def find(node: Node) -> Node:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for link in links:
        a, b = find((link.parent, link.account_id)), find((link.child, link.child_account))
        if a != b:
            parent[max(a, b)] = min(a, b)
    by_root: dict[Node, list[Signal]] = defaultdict(list)
    for signal in signals:
        by_root[find(_node(signal.finding))].append(signal)
    return [sorted(g, key=_order) for _, g in sorted(by_root.items())]


def to_sequences(signals: Sequence[Signal], links: Sequence[Link]) -> list[AttackSequence]:
    """The attack sequences of these signals (pure: same input, same sequences and ids)."""
    out: list[AttackSequence] = []
    for group in groups(signals, links):
        strong = [s for s in group if s.strong]
        while strong:
            start = strong[0].finding.first_seen
            chunk = [s for s in strong if s.finding.first_seen < start + WINDOW]
            strong = strong[len(chunk) :]
            if _is_sequence(chunk):
                end = max(s.finding.last_seen for s in chunk)
                context = [
                    s for s in group if not s.strong and start <= s.finding.first_seen <= end
                ]
                out.append(build_sequence(chunk, context, links))
    return out


def _is_sequence(chunk: Sequence[Signal]) -> bool:
    tactics = {t for s in chunk for t in s.tactics}
    kinds = {(s.finding.detector, s.finding.type) for s in chunk}
    return (
        len(chunk) >= MIN_SIGNALS
        and len(kinds) >= MIN_KINDS
        and len(tactics) >= MIN_TACTICS
        and bool(tactics - EARLY)
    )


def stages(chunk: Sequence[Signal]) -> list[tuple[str, datetime, list[Finding]]]:
    """(tactic, first seen, findings) of each tactic, in the order the tactics first appear."""
    seen: dict[str, tuple[datetime, list[Finding]]] = {}
    for signal in sorted(chunk, key=_order):
        for tactic in signal.tactics:
            _, found = seen.setdefault(tactic, (signal.finding.first_seen, []))
            found.append(signal.finding)
    ordered = sorted(seen.items(), key=lambda item: (item[1][0], KILL_CHAIN.index(item[0])))
    return [(t, first, found) for t, (first, found) in ordered]


def build_sequence(
    chunk: Sequence[Signal], context: Sequence[Signal], links: Sequence[Link]
) -> AttackSequence:
    """The sequence finding of `chunk` (its strong signals), with `context` as members too."""
    members = [s.finding for s in sorted([*chunk, *context], key=_order)]
    nodes = {_node(f) for f in members}
    used = [k for k in links if (k.child, k.child_account) in nodes and _node_of(k) in nodes]
    children = {(k.child, k.child_account) for k in used}
    first = chunk[0].finding
    root = next((_node(f) for f in members if _node(f) not in children), _node(first))
    found = stages(chunk)
    names = [tactic for tactic, _, _ in found]
    severity = _severity(chunk, len(found), bool(used))
    story = tell(root, found, used, members)
    fid = finding_id(DETECTOR, root[0], f"{root[1]}/{first.first_seen:%Y-%m-%dT%H}")
    finding = Finding(
        finding_id=fid,
        type=SEQUENCE_TYPE,
        severity=severity,
        title=f"Attack sequence: {len(found)} stages by one identity ({' > '.join(names)})",
        description=story,
        account_id=root[1] or None,
        principal=root[0],
        region=_most_common(r for f in members for r in f.evidence.regions or [f.region or ""]),
        first_seen=min(f.first_seen for f in members),
        last_seen=max(f.last_seen for f in members),
        event_count=sum(f.event_count for f in members),
        detector=DETECTOR,
        evidence=_evidence(story, found, members, used),
    )
    return AttackSequence(finding, tuple(f.finding_id for f in members))


def _severity(chunk: Sequence[Signal], tactics: int, linked: bool) -> float:
    """Critical (9.0-10.0) with a High signal, three stages or more, or a handed-on identity;
    High (8.0) otherwise. More stages, more severe."""
    critical = tactics >= 3 or linked or max(s.finding.severity for s in chunk) >= 7.0
    if not critical:
        return 8.0
    return round(min(9.0 + 0.2 * (tactics - 2) + (0.2 if linked else 0.0), 10.0), 1)


def tell(
    root: Node,
    found: Sequence[tuple[str, datetime, list[Finding]]],
    used: Sequence[Link],
    members: Sequence[Finding],
) -> str:
    """The sequence's story in one paragraph."""
    principals = sorted({f.principal for f in members})
    steps = "; then ".join(
        f"{tactic} at {first:%Y-%m-%d %H:%M} UTC ({', '.join(sorted({f.type for f in fs}))})"
        for tactic, first, fs in found
    )
    hours = (max(f.last_seen for f in members) - min(f.first_seen for f in members)) / timedelta(
        hours=1
    )
    text = (
        f"{root[0]} (account {root[1] or '?'}) went through {len(found)} stages in "
        f"{hours:.1f} h: {steps}."
    )
    for link in used[:5]:
        text += (
            f" At {link.event_time:%H:%M} UTC {link.parent} called {link.event_name}, and "
            f"{link.child} then acted with what it got."
        )
    plural = "s" if len(principals) > 1 else ""
    text += (
        f" {len(members)} findings of {len(principals)} principal{plural} tie together: treat"
        " these credentials as compromised (disable the keys, revoke the sessions, remove what"
        " they created)."
    )
    return text


def _evidence(
    story: str,
    found: Sequence[tuple[str, datetime, list[Finding]]],
    members: Sequence[Finding],
    used: Sequence[Link],
) -> Evidence:
    key = [
        SampleEvent(event_id=k.event_id, event_time=k.event_time, event_name=k.event_name)
        for k in used
    ]
    for f in members:
        key += list(f.evidence.events[:KEY_EVENTS_PER_MEMBER])
    return Evidence(
        summary=story,
        why="One identity's findings across several ATT&CK tactics within a day: GuardDuty's "
        "AttackSequence:IAM/CompromisedCredentials.",
        regions=tuple(sorted({r for f in members for r in f.evidence.regions})),
        source_ips=tuple(sorted({ip for f in members for ip in f.evidence.source_ips}))[:20],
        user_agents=tuple(sorted({a for f in members for a in f.evidence.user_agents}))[:10],
        events=tuple(key),
        extra={
            "sequence": {
                "window_hours": WINDOW / timedelta(hours=1),
                "stages": [
                    {
                        "tactic": tactic,
                        "tactic_id": TACTIC_IDS.get(tactic),
                        "first_seen": first.isoformat(),
                        "findings": [f.finding_id for f in fs],
                    }
                    for tactic, first, fs in found
                ],
                "members": [f.finding_id for f in members],
                "principals": sorted({f.principal for f in members}),
                "links": [
                    {
                        "parent": k.parent,
                        "event_name": k.event_name,
                        "event_time": k.event_time.isoformat(),
                        "child": k.child,
                        "child_account": k.child_account,
                    }
                    for k in used
                ],
            }
        },
    )


def members_of(finding: Finding) -> list[str]:
    """The member finding ids a sequence finding names (empty for any other finding)."""
    sequence = finding.evidence.extra.get("sequence")
    members = sequence.get("members") if isinstance(sequence, dict) else None
    return [str(m) for m in members] if isinstance(members, list) else []


def _most_common(values: Iterable[str]) -> str | None:
    counts = Counter(v for v in values if v)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None


def _node(finding: Finding) -> Node:
    return (finding.principal, finding.account_id or "")


def _node_of(link: Link) -> Node:
    return (link.parent, link.account_id)


def _order(signal: Signal) -> tuple[datetime, str]:
    return (signal.finding.first_seen, signal.finding.finding_id)
