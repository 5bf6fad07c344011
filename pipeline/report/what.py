"""A finding's one line: what happened, for the report's list (and any reader in a hurry).

A detector's description says it when it is a sentence of its own; an anomaly finding's type
(`Discovery:IAMUser/AnomalousBehavior`) does not, so its line is built from its evidence: the
model's summary, or the unusual APIs, networks and agents it names.
"""

from __future__ import annotations

from trailguard.pipeline.findings.store import Finding

MAX_LINE = 220
MAX_VALUES = 3


def what_happened(finding: Finding) -> str:
    """One line saying what happened: the description when it says more than the type, else a
    line from the evidence."""
    text = " ".join(finding.description.split())
    if text and text not in (finding.type, finding.title) and ":" not in text.split(" ", 1)[0]:
        return _cut(text)
    return _cut(from_evidence(finding) or text or finding.title)


def from_evidence(finding: Finding) -> str:
    """A line from the evidence: the summary, else the unusual values, else the rule's why."""
    evidence = finding.evidence
    if evidence.summary:
        return " ".join(evidence.summary.split())
    parts = []
    for dimension, values in evidence.unusual.items():
        if values:
            shown = ", ".join(v.value for v in values[:MAX_VALUES])
            more = f" (+{len(values) - MAX_VALUES})" if len(values) > MAX_VALUES else ""
            parts.append(f"new {dimension.replace('_', ' ')}: {shown}{more}")
    if parts:
        return f"{finding.event_count:,} events; " + "; ".join(parts)
    if evidence.why:
        return evidence.why
    return ""


def _cut(text: str) -> str:
    return text if len(text) <= MAX_LINE else text[: MAX_LINE - 1].rstrip() + "…"
