"""The attack sequence finding: of each candidate pipeline/detect/sequence_signals.py finds, one
`AttackSequence:IAM/CompromisedCredentials` finding (High, or Critical), its story and its
evidence (stages, members, links), with the ids of its member findings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from trailguard.pipeline.detect.sequence_signals import (
    DETECTOR,
    WINDOW,
    Link,
    Node,
    Signal,
    finding_node,
    parent_node,
    signal_order,
    stages,
    to_candidates,
)
from trailguard.pipeline.findings.attack import TACTICS
from trailguard.pipeline.findings.evidence import Evidence, SampleEvent
from trailguard.pipeline.findings.store import Finding, finding_id

SEQUENCE_TYPE = "AttackSequence:IAM/CompromisedCredentials"
KEY_EVENTS_PER_MEMBER = 2
TACTIC_IDS = {name: uid for uid, name in TACTICS.values()}


@dataclass(frozen=True)
class AttackSequence:
    """A sequence finding and the ids of its member findings."""

    finding: Finding
    members: tuple[str, ...]


def to_sequences(signals: Sequence[Signal], links: Sequence[Link]) -> list[AttackSequence]:
    """The attack sequences of these signals (pure: same input, same sequences and ids)."""
    return [
        build_sequence(chunk, context, links) for chunk, context in to_candidates(signals, links)
    ]


def build_sequence(
    chunk: Sequence[Signal], context: Sequence[Signal], links: Sequence[Link]
) -> AttackSequence:
    """The sequence finding of `chunk` (its strong signals), with `context` as members too."""
    members = [s.finding for s in sorted([*chunk, *context], key=signal_order)]
    nodes = {finding_node(f) for f in members}
    used = [k for k in links if (k.child, k.child_account) in nodes and parent_node(k) in nodes]
    children = {(k.child, k.child_account) for k in used}
    first = chunk[0].finding
    root = next(
        (finding_node(f) for f in members if finding_node(f) not in children), finding_node(first)
    )
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


def _most_common(values: Iterable[str]) -> str | None:
    counts = Counter(v for v in values if v)
    return min(counts, key=lambda v: (-counts[v], v)) if counts else None
