"""The report's HTML, from `ReportData`: pure, one page, inline CSS and SVG, nothing to fetch.

Every value is escaped on its way into the page (`_e`), numbers and our own labels included, so
no path lets a log value through raw: CloudTrail fields are attacker-controlled (a user agent, a
role session name, request parameters can all carry `<script>`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.views import render_evidence
from trailguard.pipeline.report.svg import histogram, score_chart, timeline_chart

if TYPE_CHECKING:
    from trailguard.models.isolation_forest import ModelInfo
    from trailguard.pipeline.report.build import FindingReport, ReportData, Scores

STYLE = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
  margin: 0 auto; max-width: 1100px; padding: 1em 2em 4em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
.muted { color: #666; } nav a { margin-right: 1em; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2em 1.2em; }
dl.facts dt { color: #666; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0; }
th, td { text-align: left; padding: 0.25em 0.5em; border-bottom: 1px solid #eee;
  vertical-align: top; }
th { background: #f6f6f6; } td.num { text-align: right; }
td.wrap, .wrap { word-break: break-all; max-width: 28em; }
.sev { display: inline-block; min-width: 4.5em; padding: 0 0.4em; border-radius: 3px;
  color: #fff; font-weight: 600; text-align: center; }
.sev-High { background: #b8283c; } .sev-Medium { background: #d9822b; }
.sev-Low { background: #5b7fa6; }
article { border-top: 2px solid #ddd; margin-top: 2em; }
pre { background: #f7f7f7; padding: 0.8em; overflow-x: auto; font-size: 12px; }
svg.chart { width: 100%; height: auto; font-family: inherit; }
.legend span { display: inline-block; width: 0.9em; height: 0.9em; margin: 0 0.3em 0 1em;
  vertical-align: middle; }
"""


def to_html(data: ReportData) -> str:
    """The whole page."""
    body = [
        _header(data),
        _findings_table(data.findings, labelled=data.evaluation is not None),
        _scores_section(data.scores),
    ]
    if data.evaluation is not None:
        body.append(
            _section("evaluation", "Against the labels", f"<pre>{_e(data.evaluation)}</pre>")
        )
    body.extend(_finding_section(item) for item in data.findings)
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trailguard report: {_e(data.lake.name)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>\n"
    )


def _e(value: object) -> str:
    """Any value as escaped text ('-' for None)."""
    return "-" if value is None else escape(str(value), quote=True)


def _time(value: datetime | None) -> str:
    return "-" if value is None else _e(f"{value:%Y-%m-%d %H:%M:%S} UTC")


def _section(anchor: str, title: str, inner: str) -> str:
    return f'<section id="{_e(anchor)}"><h2>{_e(title)}</h2>{inner}</section>'


def _facts(pairs: Iterable[tuple[str, str]]) -> str:
    """A definition list; values are already escaped HTML."""
    return (
        '<dl class="facts">' + "".join(f"<dt>{_e(k)}</dt><dd>{v}</dd>" for k, v in pairs) + "</dl>"
    )


def _header(data: ReportData) -> str:
    s, model = data.summary, data.scores.model
    active = [item.finding for item in data.findings]
    severities = ", ".join(f"{_e(label)} {n}" for label, n in by_severity(active).items())
    facts = [
        ("lake", _e(data.lake)),
        ("span", f"{_time(s.first_event)} .. {_time(s.last_event)}"),
        ("events", _e(f"{s.events:,}")),
        ("principals", _e(f"{s.principals:,}")),
        ("accounts", _e(f"{s.accounts:,}")),
        ("findings", f"{len(active)} active ({severities}); {data.archived} archived"),
        ("model", _e(model.version) if model else "none (exact rules only)"),
    ]
    if model:
        facts += _model_facts(model)
    nav = '<nav><a href="#findings">Findings</a><a href="#scores">Score distribution</a>'
    nav += '<a href="#evaluation">Against the labels</a>' if data.evaluation is not None else ""
    return (
        f'<header><h1>trailguard report</h1><p class="muted">generated '
        f"{_time(data.generated_at)}</p>{_facts(facts)}{nav}</nav></header>"
    )


def _model_facts(model: ModelInfo) -> list[tuple[str, str]]:
    threshold = f"{model.threshold:.4f} (strong signal: {model.strong_threshold:.4f})"
    window = f"{model.rows:,} windows, {model.training_start} .. {model.training_end}"
    return [("threshold", _e(threshold)), ("trained on", _e(window))]


def by_severity(findings: Sequence[Finding]) -> dict[str, int]:
    """How many findings of each severity label, High first."""
    counts = Counter(f.severity_label for f in findings)
    return {label: counts[label] for label in ("High", "Medium", "Low")}


def _findings_table(items: Sequence[FindingReport], *, labelled: bool) -> str:
    head = ["severity", "type", "principal", "account", "first seen", "last seen", "events"]
    head += ["detector"] + (["labelled as"] if labelled else [])
    rows = [_finding_row(item, labelled) for item in items]
    table = (
        "<table><thead><tr>"
        + "".join(f"<th>{_e(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    inner = table if items else "<p>No active findings.</p>"
    return _section("findings", f"Findings ({len(items)} active, by severity)", inner)


def _finding_row(item: FindingReport, labelled: bool) -> str:
    f = item.finding
    cells = [
        _severity(f),
        f'<a href="#{_anchor(f)}">{_e(f.type)}</a>',
        f'<span class="wrap">{_e(f.principal)}</span>',
        _e(f.account_id),
        _time(f.first_seen),
        _time(f.last_seen),
        _e(f"{f.event_count:,}"),
        _e(f.detector),
    ]
    if labelled:
        cells.append(_e(item.label))
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def _anchor(finding: Finding) -> str:
    return _e(f"f-{finding.finding_id}")


def _severity(finding: Finding) -> str:
    label = finding.severity_label
    return f'<span class="sev sev-{_e(label)}">{_e(finding.severity)} {_e(label)}</span>'


def _scores_section(scores: Scores) -> str:
    if scores.model is None or not scores.scores:
        return _section("scores", "Score distribution", f"<p>{_e(scores.note)}</p>")
    hist = histogram(scores.scores, scores.flagged, include=scores.model.threshold)
    caption = (
        f"<p>The isolation forest's score of every feature window (one principal-hour): "
        f"{len(scores.scores):,} windows, {len(scores.flagged):,} flagged. Counts are on a log "
        f"scale; the dashed line is the threshold calibrated on the training baseline "
        f"({_e(f'{scores.model.threshold:.4f}')}). A window above it still needs a concrete "
        "signal to be flagged, and one with a strong signal may be flagged below it.</p>"
        '<p class="legend"><span style="background:#7f9cc4"></span>all windows'
        '<span style="background:#d1495b"></span>flagged windows</p>'
    )
    return _section(
        "scores", "Score distribution", caption + score_chart(hist, scores.model.threshold)
    )


def _finding_section(item: FindingReport) -> str:
    f = item.finding
    facts = [
        ("id", _e(f.finding_id)),
        ("type", _e(f.type)),
        ("severity", _severity(f)),
        ("principal", _e(f.principal)),
        ("account / region", f"{_e(f.account_id)} / {_e(f.region)}"),
        ("seen", f"{_time(f.first_seen)} .. {_time(f.last_seen)} ({_e(f.event_count)} events)"),
        (
            "detector",
            _e(f.detector)
            + (
                f" (model {_e(f.model_version)}, score {_e(f.score)})"
                if f.score is not None
                else ""
            ),
        ),
    ]
    if item.label is not None:
        facts.append(("labelled as", _e(item.label)))
    evidence = render_evidence(f.evidence, omit=("events",))  # the events are listed below
    return (
        f'<article id="{_anchor(f)}"><h3>{_e(f.title)}</h3><p>{_e(f.description)}</p>'
        f"{_facts(facts)}<h4>Timeline</h4>{_timeline(item)}"
        f"<h4>Evidence</h4><pre>{_e(chr(10).join(evidence).strip())}</pre>"
        f"<h4>Events</h4>{_events(item)}"
        '<p><a href="#findings">back to the findings</a></p></article>'
    )


def _timeline(item: FindingReport) -> str:
    span = item.span
    window = (item.finding.first_seen, item.finding.last_seen)
    chart = timeline_chart(item.counts, span.buckets(), span.step, window)
    step = (
        "hour" if span.step.total_seconds() >= 3600 else f"{span.step.total_seconds() / 60:.0f} min"
    )
    return (
        f'<p class="muted">{_e(item.finding.principal)}: events per {_e(step)}, '
        f"{_time(span.start)} .. {_time(span.end)}; the finding's window shaded, errors in red."
        f"</p>{chart}"
    )


def _events(item: FindingReport) -> str:
    if not item.events:
        return "<p>No events found in the lake for this finding.</p>"
    head = "".join(f"<th>{h}</th>" for h in ("time", "API", "source IP", "user agent", "error"))
    rows = "".join(
        f"<tr><td>{_time(e.time)}</td><td>{_e(e.api)}</td><td>{_e(e.source_ip)}</td>"
        f'<td class="wrap">{_e(e.user_agent)}</td><td>{_e(e.error)}</td></tr>'
        for e in item.events
    )
    more = item.events_total - len(item.events)
    note = f'<p class="muted">{more:,} more not listed.</p>' if more > 0 else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"
