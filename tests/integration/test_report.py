"""`trailguard report`: one offline HTML page with every finding, its timeline and events, the
score distribution with its threshold, and not one log value let through unescaped; attack
sequences first; laid out and filtered in a real browser (headless Chromium, tests/browser.py)."""

from __future__ import annotations

import json
import re
from html import unescape
from pathlib import Path

import pytest

from tests.browser import HEIGHT, WIDTH, dump_dom
from tests.factories import cloudtrail_event
from tests.unit.features.lakes import FOREIGN_IP, OFFICE_IP, START, at, make_lake, routine
from trailguard.models.isolation_forest import latest_model
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.detect.detect import run_detection, train_model
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import Finding, load_findings
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.report.assets import sha256_source

ALICE = "arn:aws:iam::111122223333:user/alice"
HOSTILE_AGENT = '<script>alert("agent")</script> kali python-requests/2.31.0'
ATTACK = [
    ("iam.amazonaws.com", "ListUsers"),
    ("iam.amazonaws.com", "ListRoles"),
    ("iam.amazonaws.com", "CreateUser"),
    ("iam.amazonaws.com", "CreateAccessKey"),
    ("cloudtrail.amazonaws.com", "StopLogging"),
]


@pytest.fixture(scope="module")
def lake(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Nine quiet days of alice's S3 work, then her key used from abroad by a hostile agent."""
    tmp = tmp_path_factory.mktemp("report")
    work = [("s3.amazonaws.com", "ListBuckets"), ("s3.amazonaws.com", "GetObject")]
    records = list(routine(range(9), range(9, 17), work, sourceIPAddress=OFFICE_IP))
    records += [
        cloudtrail_event(
            eventTime=at(9, 11, minute),
            eventSource=source,
            eventName=name,
            readOnly=name.startswith("List"),
            sourceIPAddress=FOREIGN_IP,
            userAgent=HOSTILE_AGENT,
        )
        for minute, (source, name) in enumerate(ATTACK)
    ]
    lake = make_lake(tmp, records)
    build_features(lake)
    train_model(lake, baseline_days=9, now=START.replace(day=10))
    run_detection(lake)
    return lake


@pytest.fixture(scope="module")
def labels(lake: Path) -> Path:
    """One labelled attack: alice's key, the attack's ten minutes."""
    scenario = {
        "id": "T1",
        "kind": "attack",
        "technique": "test.stolen-key",
        "difficulty": "loud",
        "principal_key": ALICE,
        "account_id": "111122223333",
        "start": at(9, 11),
        "end": at(9, 11, 10),
        "expected_finding_types": [],
    }
    path = lake.parent / "labels.json"
    path.write_text(json.dumps({"scenarios": [scenario]}), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def findings(lake: Path) -> list[Finding]:
    with open_db(lake, read_only=True) as con:
        return load_findings(con)


@pytest.fixture(scope="module")
def html(lake: Path, labels: Path) -> str:
    out = lake.parent / "out" / "report.html"
    assert main(["report", "--lake", str(lake), "--labels", str(labels), "--out", str(out)]) == 0
    return out.read_text(encoding="utf-8")


def _section(html: str, finding: Finding) -> str:
    match = re.search(f'<details class="f" id="f-{finding.finding_id}"(.*?)</details>', html, re.S)
    assert match, f"no section for {finding.finding_id}"
    return match.group(1)


def test_the_lake_has_an_anomaly_and_rule_findings_to_report(findings: list[Finding]) -> None:
    detectors = {f.detector for f in findings}
    assert {"isolation_forest", "rules.pentest_kali_linux", "sequences"} <= detectors


def test_every_finding_is_listed_and_has_its_own_section_with_a_timeline(
    html: str, findings: list[Finding]
) -> None:
    for finding in findings:
        assert f'href="#f-{finding.finding_id}"' in html
        section = _section(html, finding)
        assert finding.finding_id in section
        assert section.count('aria-label="events over time"') == 1
        assert 'class="band"' in section, "the finding's window is shaded"
    assert html.count('aria-label="events over time"') == len(findings)


def test_the_attack_is_one_sequence_shown_first_with_its_members(
    html: str, findings: list[Finding]
) -> None:
    (sequence,) = [f for f in findings if f.detector == "sequences"]
    assert sequence.type == "AttackSequence:IAM/CompromisedCredentials"
    assert sequence.severity_label == "Critical" and sequence.principal == ALICE
    members = [f for f in findings if f.sequence_id == sequence.finding_id]
    assert len(members) >= 2 and all(f.principal == ALICE for f in members)
    groups = re.findall(r'<section class="group( seq)?" id="g-([^"]+)"', html)
    assert groups[0] == (" seq", sequence.finding_id), "sequences come first"
    group = html.split(f'id="g-{sequence.finding_id}"', 1)[1].split("</section>", 1)[0]
    for member in members:
        assert f'id="f-{member.finding_id}"' in group


def test_every_finding_opens_with_what_happened_not_only_its_type(
    html: str, findings: list[Finding]
) -> None:
    lines = re.findall(r'<span class="what">(.*?)</span>', html)
    assert len(lines) == len(findings)
    types = {f.type for f in findings}
    assert all(len(line.split()) >= 4 and line.strip() not in types for line in lines), lines


def test_the_region_names_the_regions_of_a_multi_region_finding(html: str) -> None:
    assert "account / region</dt><dd>111122223333 / -" not in html


def test_a_finding_lists_its_events_with_agent_source_and_api(
    html: str, findings: list[Finding]
) -> None:
    (anomaly,) = [f for f in findings if f.detector == "isolation_forest"]
    section = _section(html, anomaly)
    assert "iam:CreateAccessKey" in section and FOREIGN_IP in section
    assert "What drove the score" in section  # the evidence as `trailguard explain` renders it


def test_the_score_distribution_marks_the_model_threshold(html: str, lake: Path) -> None:
    model = latest_model(lake)
    assert model is not None
    assert 'aria-label="score distribution"' in html
    assert f"threshold {model.threshold:.3f}" in html
    assert model.version in html


def test_findings_are_matched_to_the_labels_and_the_evaluation_is_shown(html: str) -> None:
    assert "attack: test.stolen-key (T1)" in html
    evaluation = html.split('<section id="evaluation">', 1)[1]
    assert "<pre>" not in evaluation and "|---" not in evaluation
    assert '<td class="k">attacks caught</td><td>1/1' in evaluation


def test_attacker_controlled_strings_are_escaped_everywhere(html: str) -> None:
    assert html.lower().count("<script") == 1, "only the report's own script"
    assert 'alert("agent")' not in html
    assert html.count("&lt;script&gt;alert(&#34;agent&#34;)&lt;/script&gt;") >= 2


def test_the_inline_script_and_style_are_admitted_by_their_hashes_only(html: str) -> None:
    found = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', html)
    assert found
    csp = unescape(found.group(1))
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script and sha256_source(script.group(1)) in csp
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert style and sha256_source(style.group(1)) in csp
    assert " style=" not in html, "inline style attributes would need 'unsafe-inline'"


def test_the_page_needs_nothing_from_the_network(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html


# In a real browser (headless Chromium): layout at 1280 px, the first screen, the filters.
MEASURE = """<script>
document.querySelectorAll('details').forEach(function(d){d.open=true;});
var s=document.getElementById('summary').getBoundingClientRect();
document.body.setAttribute('data-overflow',
  String(document.documentElement.scrollWidth - document.documentElement.clientWidth));
document.body.setAttribute('data-summary-top', String(Math.round(s.top)));
</script>"""


@pytest.fixture(scope="module")
def page(lake: Path, html: str) -> Path:
    return lake.parent / "out" / "report.html"


def _measured(page: Path) -> Path:
    """A copy of the page that measures itself, every finding opened (its policy dropped so
    that the measuring script runs; the layout is the page's own)."""
    text = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text())
    copy = page.with_name("measured.html")
    copy.write_text(text.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    return copy


def _attribute(dom: str, name: str) -> str:
    match = re.search(f'<body[^>]*\\s{name}="([^"]*)"', dom)
    assert match, f"no {name} on <body>"
    return match.group(1)


def test_in_chromium_nothing_overflows_1280_px_and_the_first_screen_shows_the_summary(
    page: Path,
) -> None:
    assert WIDTH == 1280
    dom = dump_dom(_measured(page))
    assert int(_attribute(dom, "data-overflow")) <= 0, "wider than the window"
    assert 0 <= int(_attribute(dom, "data-summary-top")) < HEIGHT / 2


def test_in_chromium_a_filter_in_the_fragment_hides_rows(
    page: Path, findings: list[Finding]
) -> None:
    everything = dump_dom(page)
    assert int(_attribute(everything, "data-filtered")) == len(findings)
    assert 'id="filters" hidden' not in everything, "the script shows the filters"
    critical = dump_dom(page, "#severity=critical")
    assert int(_attribute(critical, "data-filtered")) == 1
    assert f"1 of {len(findings)} findings shown" in critical
    hidden = re.findall(r'<details class="f hide"', critical)
    assert len(hidden) == len(findings) - 1
