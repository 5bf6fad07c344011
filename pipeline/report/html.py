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
This module assembles the page and its summary; groups.py groups the findings, finding_view.py
shows each group and finding, evaluation_blocks.py the evaluation's tables.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from functools import cache
from importlib.resources import files
from typing import TYPE_CHECKING, Any

import jinja2
from markupsafe import Markup

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.report.assets import SCRIPT, STYLE, content_security_policy
from trailguard.pipeline.report.evaluation_blocks import evaluation_blocks
from trailguard.pipeline.report.finding_view import SHORT_PRINCIPAL, group_view, utc_time
from trailguard.pipeline.report.groups import Group, group_anchor, group_findings
from trailguard.pipeline.report.svg import histogram, score_chart
from trailguard.pipeline.report.terminal import shorten_middle

if TYPE_CHECKING:
    from trailguard.pipeline.report.data import ReportData, Scores

LABELS = ("Critical", "High", "Medium", "Low")
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
        "generated": utc_time(data.generated_at),
        "facts": _facts(data),
        "severities": list(by_severity(active).items()),
        "total": len(active),
        "archived": data.archived,
        "sequences": [_sequence_line(g) for g in groups if g.sequence],
        **_types(active),
        "principals": _top_principals(groups),
        "accounts": sorted({f.account_id for f in active if f.account_id}),
        "groups": [group_view(g) for g in groups],
        **_scores(data.scores),
        "evaluation": evaluation_blocks(data.evaluation) if data.evaluation else None,
    }


def _facts(data: ReportData) -> list[tuple[str, str]]:
    s, model = data.summary, data.scores.model
    facts = [
        ("span", f"{utc_time(s.first_event)} .. {utc_time(s.last_event)}"),
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


def _sequence_line(group: Group) -> dict[str, Any]:
    f = group.top
    return {
        "id": group_anchor(group),
        "title": f.title,
        "severity": f"{f.severity:.1f}",
        "label": f.severity_label,
        "principal": f.principal,
        "short": shorten_middle(f.principal, SHORT_PRINCIPAL),
        "when": f"{utc_time(f.first_seen)} .. {utc_time(f.last_seen)}",
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
