"""`trailguard report`: one offline HTML page with every finding, its timeline and events, the
score distribution with its threshold, and not one log value let through unescaped."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.factories import cloudtrail_event
from tests.unit.features.lakes import FOREIGN_IP, OFFICE_IP, START, at, make_lake, routine
from trailguard.models.isolation_forest import latest_model
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.detect.detect import run_detection, train_model
from trailguard.pipeline.features.build import build_features
from trailguard.pipeline.findings.store import Finding, load_findings
from trailguard.pipeline.lake.db import open_db

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
    match = re.search(f'<article id="f-{finding.finding_id}">(.*?)</article>', html, re.S)
    assert match, f"no section for {finding.finding_id}"
    return match.group(1)


def test_the_lake_has_an_anomaly_and_rule_findings_to_report(findings: list[Finding]) -> None:
    detectors = {f.detector for f in findings}
    assert {"isolation_forest", "rules.pentest_kali_linux"} <= detectors


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
    assert "attacks caught          1/1" in html


def test_attacker_controlled_strings_are_escaped_everywhere(html: str) -> None:
    assert "<script" not in html.lower()
    assert html.count("&lt;script&gt;alert(&quot;agent&quot;)&lt;/script&gt;") >= 2


def test_the_page_needs_nothing_from_the_network(html: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html)
    assert "<link" not in html and "@import" not in html and "url(" not in html
