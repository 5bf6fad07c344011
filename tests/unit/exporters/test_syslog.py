"""Syslog payloads: RFC 5424 messages with OCSF JSON or CEF, octet-counted frames."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from tests.helpers.findings import T0, ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from tests.helpers.ocsf import validate_event
from tests.helpers.syslog_server import parse_frames, parse_rfc5424
from trailguard.pipeline.export.syslog import frame, to_cef, to_payload


@pytest.mark.parametrize("fmt", ["json", "cef"])
def test_rule_finding_matches_its_golden_syslog_message(fmt: str) -> None:
    assert_golden(f"syslog_rule_{fmt}.txt", to_payload(rule_finding(), fmt=fmt, hostname="tg-1"))


def test_message_is_rfc5424_with_filterable_structured_data() -> None:
    parsed = parse_rfc5424(to_payload(ml_finding(), hostname="tg-1"))

    assert (parsed["version"], parsed["hostname"], parsed["app_name"]) == (
        "1",
        "tg-1",
        "trailguard",
    )
    assert parsed["msgid"] == "FINDING"
    assert parsed["timestamp"] == "2026-10-05T15:03:27.000Z"
    assert parsed["structured_data"]["trailguard@32473"] == {
        "uid": ml_finding().finding_id,
        "version": "1",
        "revision": "2",
        "type": "Discovery:IAMUser/AnomalousBehavior",
        "severity": "5.0",
        "principal": "arn:aws:iam::111122223333:role/ci-deployer",
        "count": "187",
        "status": "active",
    }
    assert validate_event(json.loads(parsed["msg"])) == []


@pytest.mark.parametrize(("severity", "pri"), [(2.0, 84), (5.0, 83), (8.0, 82), (9.5, 81)])
def test_priority_is_authpriv_with_severity_from_the_finding(severity: float, pri: int) -> None:
    parsed = parse_rfc5424(to_payload(rule_finding(severity=severity)))

    # facility 10 * 8 + warning 4 / error 3 / critical 2 / alert 1 (an attack sequence)
    assert int(parsed["pri"]) == pri


def test_structured_data_escapes_quote_backslash_and_bracket() -> None:
    nasty = 'arn:aws:iam::1:user/a"b\\c]d'
    parsed = parse_rfc5424(to_payload(rule_finding(principal=nasty)))

    assert parsed["structured_data"]["trailguard@32473"]["principal"] == nasty


def test_a_json_message_is_ascii_so_it_needs_no_bom() -> None:
    accented = parse_rfc5424(to_payload(rule_finding(title="Connexion déguisée"), fmt="json"))

    assert not accented["bom"] and accented["msg"].isascii()
    assert json.loads(accented["msg"])["message"] == "Connexion déguisée"


def test_a_non_ascii_cef_record_has_no_bom_so_receivers_matching_cef_find_it() -> None:
    message = to_payload(rule_finding(title="Connexion déguisée"), fmt="cef")
    parsed = parse_rfc5424(message)

    assert "\ufeff".encode() not in message
    assert not parsed["bom"] and parsed["msg"].startswith("CEF:0|")
    assert "Connexion déguisée" in message.decode("utf-8")


def test_cef_escapes_pipes_in_header_and_equals_in_extensions() -> None:
    cef = to_cef(rule_finding(title="a|b", description="x=1\ny\\z"))

    header = cef.split("|")
    assert header[0] == "CEF:0" and header[1] == "trailguard"
    assert "|a\\|b|" in cef
    assert "msg=x\\=1\\ny\\\\z" in cef
    assert cef.split("|")[-1].startswith("externalId=")


def test_cef_carries_severity_counts_and_attack_technique() -> None:
    cef = to_cef(rule_finding())
    fields = cef.rsplit("|", 1)[1]

    assert cef.split("|")[6] == "8"  # 7.5 rounds to 8 on CEF's 0-10 scale
    assert "cnt=1" in fields and "cs4=TA0005" in fields and "cs5=T1562.008" in fields


def test_frames_are_octet_counted_and_split_back_exactly() -> None:
    messages = [to_payload(rule_finding()), to_payload(ml_finding(), fmt="cef")]

    assert parse_frames(b"".join(frame(m) for m in messages)) == messages
    assert frame(b"abc") == b"3 abc"


def cef_fields(cef: str) -> dict[str, str]:
    """The extension of a CEF record as key -> raw (escaped) value."""
    extension = cef.split("|", 7)[7]
    keys = re.findall(r"(?:^| )([A-Za-z0-9]+)=", extension)
    values = re.split(r"(?:^| )[A-Za-z0-9]+=", extension)[1:]
    return dict(zip(keys, values, strict=True))


def test_cef_carries_the_status_and_an_analysts_decision_in_labelled_fields() -> None:
    decided_at = T0 + timedelta(days=1)
    archived = rule_finding(
        status="archived", status_by="ana", status_reason="CHG-1182: approved, ticket=42",
        status_at=decided_at,
    )  # fmt: skip

    fields = cef_fields(to_cef(archived))
    undecided = cef_fields(to_cef(rule_finding()))

    assert (fields["flexString1Label"], fields["flexString1"]) == ("findingStatus", "archived")
    assert (fields["flexString2Label"], fields["flexString2"]) == ("statusBy", "ana")
    assert fields["reason"] == "CHG-1182: approved, ticket\\=42"  # `=` escaped, as CEF says
    assert fields["flexDate1Label"] == "statusAt"
    assert fields["flexDate1"] == str(int(decided_at.timestamp() * 1000))
    assert undecided["flexString1"] == "active"
    assert {"flexString2", "reason", "flexDate1"}.isdisjoint(undecided)


def test_structured_data_lets_a_receiver_filter_out_archived_findings() -> None:
    parsed = parse_rfc5424(to_payload(rule_finding(status="archived", status_by="ana")))

    assert parsed["structured_data"]["trailguard@32473"]["status"] == "archived"
