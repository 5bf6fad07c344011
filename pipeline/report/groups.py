"""The report's findings grouped as the page lists them: each attack sequence with its members,
then each principal's other findings, the most severe group first; and each group's id in the page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trailguard.pipeline.findings.store import Finding

if TYPE_CHECKING:
    from trailguard.pipeline.report.data import FindingReport


@dataclass
class Group:
    """Findings shown together: an attack sequence and its members, or one principal's."""

    key: str
    items: list[FindingReport] = field(default_factory=list)
    sequence: FindingReport | None = None

    @property
    def top(self) -> Finding:
        """Its most severe finding (the sequence itself for a sequence)."""
        return self.sequence.finding if self.sequence else self.items[0].finding


def group_findings(items: Sequence[FindingReport]) -> list[Group]:
    """Attack sequences first (with their members), then each principal's other findings; the
    most severe group first, and within a group the most severe finding, then the earliest."""
    sequences = {
        i.finding.finding_id: Group(i.finding.finding_id, sequence=i)
        for i in items
        if i.finding.detector == "sequences"
    }
    by_principal: dict[str, Group] = {}
    for item in items:
        f = item.finding
        if f.finding_id in sequences:
            continue
        if f.sequence_id in sequences:
            sequences[f.sequence_id].items.append(item)
            continue
        key = f"{f.account_id}/{f.principal}"
        by_principal.setdefault(key, Group(key)).items.append(item)
    groups = [*sequences.values(), *by_principal.values()]
    for group in groups:
        group.items.sort(key=lambda i: (-i.finding.severity, i.finding.first_seen))
    return sorted(
        (g for g in groups if g.items or g.sequence),
        key=lambda g: (g.sequence is None, -g.top.severity, g.top.first_seen, g.key),
    )


def group_anchor(group: Group) -> str:
    """The group's id in the page: its sequence's finding id, or a hash of its principal."""
    digest = hashlib.sha256(group.key.encode()).hexdigest()[:16]
    return group.top.finding_id if group.sequence else f"p-{digest}"
