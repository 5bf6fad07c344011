"""Properties of every payload over arbitrary findings: valid OCSF, parseable syslog and CEF."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.helpers.findings import rule_finding
from tests.helpers.ocsf import validate_event
from tests.helpers.syslog_server import parse_rfc5424
from trailguard.pipeline.export.asff import to_payload as asff
from trailguard.pipeline.export.ocsf import to_payload
from trailguard.pipeline.export.syslog import to_cef
from trailguard.pipeline.export.syslog import to_payload as syslog_message
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding

text = st.text(min_size=1, max_size=40)
scalar = st.none() | st.booleans() | st.integers(-(2**31), 2**31) | text
evidence_value = st.lists(text | st.fixed_dictionaries({"value": text}), max_size=3) | scalar


@st.composite
def findings(draw: st.DrawFn) -> Finding:
    start = draw(st.datetimes(datetime(2020, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC)))
    purpose = draw(st.sampled_from(["Discovery", "Stealth", "Policy", "Odd", "Exfiltration"]))
    return rule_finding(
        type=f"{purpose}:IAMUser/{draw(text)}",
        severity=draw(st.floats(1.0, 8.9)),
        title=draw(text),
        description=draw(text),
        principal=draw(text),
        account_id=draw(st.none() | st.from_regex(r"\A\d{12}\Z")),
        region=draw(st.none() | text),
        first_seen=start,
        last_seen=start + timedelta(minutes=draw(st.integers(0, 10_000))),
        event_count=draw(st.integers(1, 10**6)),
        version=draw(st.integers(1, 50)),
        status=draw(st.sampled_from(["active", "archived"])),
        # A decision by a person or a suppression rule, or none; reasons are free text.
        status_by=draw(st.none() | st.just("suppression") | text),
        status_reason=draw(st.none() | text),
        status_at=start + timedelta(days=1),
        evidence=Evidence.from_json(
            {
                "unusual": draw(
                    st.dictionaries(
                        st.sampled_from(["apis", "networks", "x"]), evidence_value, max_size=3
                    )
                ),
                "profile": draw(
                    st.dictionaries(
                        st.sampled_from(["apis", "regions"]),
                        st.dictionaries(text, st.lists(text, max_size=2)),
                        max_size=2,
                    )
                ),
                "events": draw(st.lists(text, max_size=2)),
                "note": draw(scalar),
            }
        ),
    )


FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(findings())
def test_every_finding_becomes_a_valid_ocsf_detection_finding(finding: Finding) -> None:
    payload = to_payload(finding)

    assert validate_event(payload) == []
    assert json.loads(json.dumps(payload)) == payload  # plain JSON all the way down


@FAST
@given(findings())
def test_every_syslog_message_parses_back_to_the_same_structured_data(finding: Finding) -> None:
    parsed = parse_rfc5424(syslog_message(finding, hostname="tg-1"))

    params = parsed["structured_data"]["trailguard@32473"]
    assert params["principal"] == finding.principal
    assert params["type"] == finding.type
    assert json.loads(parsed["msg"])["finding_info"]["uid"] == finding.finding_id


def split_cef(record: str) -> tuple[list[str], dict[str, str]]:
    """CEF header fields (unescaped) and extension pairs, parsed as a receiver would."""
    header: list[str] = []
    current, position = "", 0
    while len(header) < 7:
        char = record[position]
        if char == "\\":
            current += record[position + 1]
            position += 2
            continue
        if char == "|":
            header.append(current)
            current = ""
        else:
            current += char
        position += 1
    return header, _extension(record[position:])


def _extension(text: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    tokens = text.split(" ")
    key: str | None = None
    for token in tokens:
        name, sep, value = token.partition("=")
        if sep and name.isalnum() and not name.endswith("\\") and "\\" not in name:
            key = name
            pairs[key] = value
        elif key is not None:
            pairs[key] += " " + token
    return {key: _unescape_extension(value) for key, value in pairs.items()}


def _unescape_extension(value: str) -> str:
    out, position = "", 0
    while position < len(value):
        if value[position] == "\\" and position + 1 < len(value):
            nxt = value[position + 1]
            out += {"n": "\n", "r": "\r"}.get(nxt, nxt)
            position += 2
        else:
            out += value[position]
            position += 1
    return out


@FAST
@given(findings())
def test_cef_header_has_seven_fields_and_title_and_message_survive_escaping(
    finding: Finding,
) -> None:
    header, extension = split_cef(to_cef(finding))

    assert header[:3] == ["CEF:0", "trailguard", "trailguard"]
    expected_title = finding.title.replace("\n", " ").replace("\r", " ")
    assert header[5] == expected_title
    assert 0 <= int(header[6]) <= 10
    assert extension["externalId"] == finding.finding_id
    assert extension["cnt"] == str(finding.event_count)
    assert extension["msg"] == finding.description.replace("\r\n", "\n")  # =, \ and newlines
    assert extension["flexString1"] == finding.status
    assert extension.get("flexString2") == (
        finding.status_by.replace("\r\n", "\n") if finding.status_by else None
    )
    reason = (finding.status_reason or "").strip() if finding.status_by else ""
    assert extension.get("reason") == (reason.replace("\r\n", "\n") or None)


@FAST
@given(findings())
def test_asff_fits_security_hub_limits(finding: Finding) -> None:
    payload: dict[str, Any] = asff(finding, account_id="123456789012", region="us-east-1")

    assert len(payload["Title"]) <= 256 and 0 < len(payload["Description"]) <= 1024
    assert all(isinstance(v, str) and len(v) <= 2048 for v in payload["ProductFields"].values())
    assert len(payload["ProductFields"]) <= 50
    assert payload["Severity"]["Label"] in {"LOW", "MEDIUM", "HIGH"}
    account = payload["AwsAccountId"]  # AWS takes the default product only from its own account
    assert payload["ProductArn"].endswith(f":{account}:product/{account}/default")
