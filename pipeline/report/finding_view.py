"""One group of the report and its findings as the template shows them: each finding's line, its
facts, timeline, evidence and events (plain values, escaped by the template), and the forms of a
time and a principal every part of the page uses.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import render_evidence
from trailguard.pipeline.report.groups import Group, group_anchor
from trailguard.pipeline.report.svg import timeline_chart
from trailguard.pipeline.report.terminal import shorten_middle
from trailguard.pipeline.report.what import what_happened

if TYPE_CHECKING:
    from trailguard.pipeline.report.data import FindingReport

SHORT_PRINCIPAL = 64  # characters of a principal shown in a line (the middle goes, never the end)


def utc_time(value: datetime | None) -> str:
    """A time as the page writes it, in UTC to the second; `-` for none."""
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def group_view(group: Group) -> dict[str, Any]:
    """A group as the template shows it: its heading line and every finding in it."""
    top = group.top
    shown = [group.sequence, *group.items] if group.sequence else group.items
    accounts = sorted({i.finding.account_id or "-" for i in shown})
    caption = f"{len(group.items)} finding{'s' if len(group.items) != 1 else ''}"
    caption += f" · account {', '.join(accounts)}" if not group.sequence else " in this sequence"
    return {
        "id": group_anchor(group),
        "sequence": group.sequence is not None,
        "title": top.title,
        "story": top.description if group.sequence else None,
        "short": shorten_middle(top.principal, SHORT_PRINCIPAL),
        "caption": caption,
        "severity": f"{top.severity:.1f}",
        "time": top.first_seen.isoformat(),
        "type": top.type,
        "account": top.account_id or "",
        "principal": top.principal,
        "findings": [_finding_view(i, group) for i in shown],
    }


def _finding_view(item: FindingReport, group: Group) -> dict[str, Any]:
    f = item.finding
    return {
        "id": f.finding_id,
        "severity": f"{f.severity:.1f}",
        "label": f.severity_label,
        "type": f.type,
        "what": what_happened(f),
        "principal": f.principal,
        "short": shorten_middle(f.principal, SHORT_PRINCIPAL),
        "account": f.account_id or "-",
        "time": f.first_seen.isoformat(),
        "when": utc_time(f.first_seen),
        "facts": _finding_facts(item),
        "members": [{"id": i.finding.finding_id, "type": i.finding.type} for i in group.items]
        if item is group.sequence
        else [],
        "timeline_caption": _timeline_caption(item),
        "timeline": Markup(_timeline(item)),  # safe: svg.py escapes every text it draws
        "evidence": "\n".join(render_evidence(f.evidence, omit=("events",))).strip(),
        "events": [
            {
                "time": utc_time(e.time),
                "api": e.api,
                "ip": e.source_ip or "-",
                "agent": e.user_agent or "-",
                "error": e.error or "-",
            }
            for e in item.events
        ],
        "more": f"{item.events_total - len(item.events):,}"
        if item.events_total > len(item.events)
        else None,
    }


def _finding_facts(item: FindingReport) -> list[tuple[str, str]]:
    f = item.finding
    detector = f.detector
    if f.score is not None:
        detector += f" (model {f.model_version}, score {f.score:.4f})"
    facts = [
        ("id", f.finding_id),
        ("title", f.title),
        ("description", f.description),
        ("principal", f.principal),
        ("account / region", f"{f.account_id or '-'} / {region_of(f)}"),
        ("seen", f"{utc_time(f.first_seen)} .. {utc_time(f.last_seen)} ({f.event_count:,} events)"),
        ("detector", detector),
    ]
    if f.sequence_id:
        facts.append(("attack sequence", f.sequence_id))
    if item.label is not None:
        facts.append(("labelled as", item.label))
    return facts


def region_of(finding: Finding) -> str:
    """The finding's region; when its events span several (IAM and other global services log in
    us-east-1 whatever region the rest of the work is in, so most principals' findings do, and
    detectors then leave `region` empty), the regions its evidence names."""
    if finding.region:
        return finding.region
    regions = finding.evidence.regions
    return ", ".join(regions) if regions else "-"


def _timeline_caption(item: FindingReport) -> str:
    span = item.span
    step = (
        "hour" if span.step.total_seconds() >= 3600 else f"{span.step.total_seconds() / 60:.0f} min"
    )
    return (
        f"{item.finding.principal}: events per {step}, "
        f"{utc_time(span.start)} .. {utc_time(span.end)}; "
        "the finding's window shaded, errors in red."
    )


def _timeline(item: FindingReport) -> str:
    span = item.span
    window = (item.finding.first_seen, item.finding.last_seen)
    return timeline_chart(item.counts, span.buckets(), span.step, window)
