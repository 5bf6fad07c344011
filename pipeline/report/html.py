"""The report's HTML, from `ReportData`: pure, one page, inline CSS, SVG and a small script,
nothing to fetch.

The page is a Jinja2 template (pipeline/report/report.html.j2) rendered with autoescape: every
value from the lake is escaped on its way in, since CloudTrail fields are attacker-controlled (a
user agent, a role session name, request parameters can all carry `<script>`). Only what this
package draws is marked safe: the SVG charts (svg.py escapes their text) and the inline style and
script, which the Content-Security-Policy admits by hash (assets.py).

Layout for hundreds of findings: a summary first (counts by severity and type, the attack
sequences, the top principals), then the findings grouped by attack sequence, then by principal;
each finding is one line saying what happened that opens (<details>) on its facts, timeline,
evidence and events, so the page reads with scripts off and filters and sorts with them on.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import render_evidence
from trailguard.pipeline.report.assets import SCRIPT, STYLE, content_security_policy
from trailguard.pipeline.report.svg import histogram, score_chart, timeline_chart
from trailguard.pipeline.report.terminal import shorten_middle
from trailguard.pipeline.report.what import what_happened

if TYPE_CHECKING:
    from trailguard.pipeline.report.build import FindingReport, ReportData, Scores

LABELS = ("Critical", "High", "Medium", "Low")
SHORT_PRINCIPAL = 64  # characters of a principal shown in a line (the middle goes, never the end)
TOP_TYPES, TOP_PRINCIPALS = 12, 10


@cache
def _template() -> jinja2.Template:
    text = (files("trailguard.pipeline.report") / "report.html.j2").read_text(encoding="utf-8")
    env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
    return env.from_string(text)


def to_html(data: ReportData) -> str:
    """The whole page."""
    return _template().render(**page(data)) + "\n"


def page(data: ReportData) -> dict[str, Any]:
    """Everything the template shows, as plain values (escaped by the template)."""
    active = [item.finding for item in data.findings]
    groups = group_findings(data.findings)
    return {
        "csp": content_security_policy(),
        "style": Markup(STYLE),  # safe: our constant, admitted by its CSP hash
        "script": Markup(SCRIPT),  # safe: our constant, admitted by its CSP hash
        "lake": str(data.lake),
        "lake_name": data.lake.name,
        "generated": _time(data.generated_at),
        "facts": _facts(data),
        "severities": list(by_severity(active).items()),
        "total": len(active),
        "archived": data.archived,
        "sequences": [_sequence_line(g) for g in groups if g.sequence],
        **_types(active),
        "principals": _top_principals(groups),
        "accounts": sorted({f.account_id for f in active if f.account_id}),
        "groups": [_group_view(g) for g in groups],
        **_scores(data.scores),
        "evaluation": evaluation_blocks(data.evaluation) if data.evaluation else None,
    }


def _time(value: datetime | None) -> str:
    return "-" if value is None else f"{value:%Y-%m-%d %H:%M:%S} UTC"


def _facts(data: ReportData) -> list[tuple[str, str]]:
    s, model = data.summary, data.scores.model
    facts = [
        ("span", f"{_time(s.first_event)} .. {_time(s.last_event)}"),
        ("events", f"{s.events:,}"),
        ("principals", f"{s.principals:,}"),
        ("accounts", f"{s.accounts:,}"),
        ("model", model.version if model else "none (exact rules only)"),
    ]
    if model:
        facts.append(("threshold", f"{model.threshold:.4f} (strong: {model.strong_threshold:.4f})"))
        facts.append(
            (
                "trained on",
                f"{model.rows:,} windows, {model.training_start} .. {model.training_end}",
            )
        )
    return facts


def by_severity(findings: Sequence[Finding]) -> dict[str, int]:
    """How many findings of each severity label, Critical first (labels with none are left out,
    but High, Medium and Low are always listed)."""
    counts = Counter(f.severity_label for f in findings)
    return {label: counts[label] for label in LABELS if counts[label] or label != "Critical"}


def _types(findings: Sequence[Finding]) -> dict[str, Any]:
    counts = Counter(f.type for f in findings)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return {
        "types": ranked[:TOP_TYPES],
        "more_types": max(len(ranked) - TOP_TYPES, 0),
        "all_types": sorted(counts),
    }


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


def _sequence_line(group: Group) -> dict[str, Any]:
    f = group.top
    return {
        "id": group_anchor(group),
        "title": f.title,
        "severity": f"{f.severity:.1f}",
        "label": f.severity_label,
        "principal": f.principal,
        "short": shorten_middle(f.principal, SHORT_PRINCIPAL),
        "when": f"{_time(f.first_seen)} .. {_time(f.last_seen)}",
        "members": len(group.items),
    }


def _top_principals(groups: Sequence[Group]) -> list[dict[str, Any]]:
    counted: dict[str, list[Finding]] = defaultdict(list)
    anchors: dict[str, str] = {}
    for group in groups:
        for item in group.items:
            counted[item.finding.principal].append(item.finding)
            anchors.setdefault(item.finding.principal, group_anchor(group))
    ranked = sorted(
        counted.items(), key=lambda kv: (-max(f.severity for f in kv[1]), -len(kv[1]), kv[0])
    )
    return [
        {
            "principal": principal,
            "short": shorten_middle(principal, SHORT_PRINCIPAL),
            "label": max(found, key=lambda f: f.severity).severity_label,
            "count": len(found),
            "group": anchors[principal],
        }
        for principal, found in ranked[:TOP_PRINCIPALS]
    ]


def _group_view(group: Group) -> dict[str, Any]:
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
        "when": _time(f.first_seen),
        "facts": _finding_facts(item),
        "members": [{"id": i.finding.finding_id, "type": i.finding.type} for i in group.items]
        if item is group.sequence
        else [],
        "timeline_caption": _timeline_caption(item),
        "timeline": Markup(_timeline(item)),  # safe: svg.py escapes every text it draws
        "evidence": "\n".join(render_evidence(f.evidence, omit=("events",))).strip(),
        "events": [
            {
                "time": _time(e.time),
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
        ("seen", f"{_time(f.first_seen)} .. {_time(f.last_seen)} ({f.event_count:,} events)"),
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
        f"{item.finding.principal}: events per {step}, {_time(span.start)} .. {_time(span.end)}; "
        "the finding's window shaded, errors in red."
    )


def _timeline(item: FindingReport) -> str:
    span = item.span
    window = (item.finding.first_seen, item.finding.last_seen)
    return timeline_chart(item.counts, span.buckets(), span.step, window)


def _scores(scores: Scores) -> dict[str, Any]:
    if scores.model is None or not scores.scores:
        return {"score_chart": None, "score_note": scores.note}
    hist = histogram(scores.scores, scores.flagged, include=scores.model.threshold)
    return {
        "score_chart": Markup(score_chart(hist, scores.model.threshold)),  # safe: escaped
        "score_note": None,
        "windows": f"{len(scores.scores):,}",
        "flagged": f"{len(scores.flagged):,}",
        "threshold": f"{scores.model.threshold:.4f}",
    }


_CELLS = re.compile(r"\s*\|\s*")
_GAP = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class Block:
    """A table (`rows`, with a `head` or keyed by its first column) or a paragraph (`text`)."""

    rows: list[list[str]] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    keyed: bool = False
    text: str = ""


def evaluation_blocks(text: str) -> list[Block]:
    """The evaluation's text (pipeline/evaluation/scorecard.py: a Markdown table, then aligned
    `name   value` lines) as HTML tables: a Markdown table keeps its head, aligned lines become
    a two-column table, indented lines included."""
    blocks: list[Block] = []
    lines = [line for line in text.splitlines() if line.strip()]
    table = [line for line in lines if line.lstrip().startswith("|")]
    if table:
        cells = [_CELLS.split(line.strip().strip("|")) for line in table]
        body = [c for c in cells[1:] if not all(set(x) <= {"-", ":"} for x in c)]
        blocks.append(Block(rows=body, head=cells[0]))
    rows = []
    for line in lines:
        if line.lstrip().startswith("|"):
            continue
        parts = _GAP.split(line.strip(), maxsplit=1)
        name = ("\u2003" if line.startswith(" ") else "") + parts[0]
        rows.append([name, parts[1] if len(parts) > 1 else ""])
    if rows:
        blocks.append(Block(rows=rows, keyed=True))
    return blocks
