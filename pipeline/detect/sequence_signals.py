"""Which findings tie into an attack sequence: each finding as a signal (its ATT&CK tactics,
strong or context), grouped by identity, cut into windows, and kept when they tell a sequence.
Pure: the I/O is in pipeline/detect/sequences.py, the sequence finding in
pipeline/detect/sequence_findings.py.

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

A signal is strong when it is Medium or worse and not common: a detector and type that fired
for more than NOISY_SHARE of the lake's principals (at least NOISY_MIN) is context, listed with
the sequence but not counted as a stage. An exact rule's High finding is never common: each
names one concrete action that is rarely benign (stolen instance credentials used outside AWS,
logging stopped, a snapshot shared out of the organisation), so how many principals it fired for
says how wide a compromise is, not how noisy the rule is; counting it out would let an intruder
who uses five stolen roles' credentials turn off the sequences of all five. The model's,
cold start's and Sigma's High findings (Sigma's levels are its authors', and some of its high
rules say legitimate use is common) stay subject to the prevalence test.

An anomaly finding's sensitive calls (discovery, credential access...) add their tactics: the
model's one finding per episode names only its highest tactic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from trailguard.pipeline.detect.rule_findings import EXACT_RULES
from trailguard.pipeline.findings.attack import technique_for
from trailguard.pipeline.findings.store import Finding, severity_label

DETECTOR = "sequences"
WINDOW = timedelta(hours=24)
MIN_TACTICS = 2
MIN_SIGNALS = 2  # one finding is never a sequence, whatever tactics it names
MIN_KINDS = 2  # nor one kind of finding (detector and type) repeated
NOISY_SHARE, NOISY_MIN = 0.02, 5
MEDIUM = 4.0

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
    """Each finding with its tactics, strong when Medium or worse and not common (an exact
    rule's High finding never is)."""
    noisy = max(NOISY_MIN, NOISY_SHARE * principals)

    def strong(f: Finding) -> bool:
        exact_high = severity_label(f.severity) == "High" and f.detector.startswith(EXACT_RULES)
        common = prevalence.get(f.finding_id, 1) > noisy and not exact_high
        return f.severity >= MEDIUM and not common

    return [Signal(f, tactics_of(f), strong(f)) for f in findings if f.detector != DETECTOR]


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
        by_root[find(finding_node(signal.finding))].append(signal)
    return [sorted(g, key=signal_order) for _, g in sorted(by_root.items())]


def to_candidates(
    signals: Sequence[Signal], links: Sequence[Link]
) -> list[tuple[list[Signal], list[Signal]]]:
    """(strong signals, context) of each sequence these signals make, in the order the
    sequences are built (pure: same input, same sequences)."""
    out: list[tuple[list[Signal], list[Signal]]] = []
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
                out.append((chunk, context))
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
    for signal in sorted(chunk, key=signal_order):
        for tactic in signal.tactics:
            _, found = seen.setdefault(tactic, (signal.finding.first_seen, []))
            found.append(signal.finding)
    ordered = sorted(seen.items(), key=lambda item: (item[1][0], KILL_CHAIN.index(item[0])))
    return [(t, first, found) for t, (first, found) in ordered]


def finding_node(finding: Finding) -> Node:
    """The (principal, account) a finding is about."""
    return (finding.principal, finding.account_id or "")


def parent_node(link: Link) -> Node:
    """The (principal, account) that made or obtained a link's credentials."""
    return (link.parent, link.account_id)


def signal_order(signal: Signal) -> tuple[datetime, str]:
    """Signals in the order their findings were first seen (then by id)."""
    return (signal.finding.first_seen, signal.finding.finding_id)
