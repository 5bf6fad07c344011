"""A finding's evidence: typed for its readers, and stored as the same JSON as ever."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import duckdb
import orjson

from tests.helpers.findings import rule_finding
from trailguard.pipeline.detect.anomaly_findings import EVIDENCE_KEYS as ANOMALY_KEYS
from trailguard.pipeline.detect.rule_findings import EVIDENCE_KEYS as RULE_KEYS
from trailguard.pipeline.findings.evidence import (
    Evidence,
    SampleEvent,
    from_json_text,
    to_json_text,
)
from trailguard.pipeline.findings.explanation import FeatureContribution, Observed
from trailguard.pipeline.findings.store import load_findings, upsert_findings

T0 = datetime(2026, 10, 5, 14, 3, 27, tzinfo=UTC)

# As the rule detector has always stored it: its own key order, nulls written.
RULE_JSON = (
    '{"rule":"root_console_login","why":"The root user signed in.","regions":["us-east-1"],'
    '"source_ips":["198.51.100.23"],"user_agents":["Mozilla/5.0"],"events":[{"event_id":"e1",'
    '"event_time":"2026-10-05T14:03:27+00:00","event_name":"ConsoleLogin","event_source":'
    '"signin.amazonaws.com","source_ip_address":"198.51.100.23","error_code":null,'
    '"request_parameters":null}],"events_omitted":0}'
)
# As the anomaly model has always stored it: empty dimensions and calls written too.
ANOMALY_JSON = (
    '{"summary":"bob behaved unusually","score":0.71,"windows":["2026-10-05T14:00:00+00:00"],'
    '"cold_start":false,"peer_group":"role:ci","history_days":41.0,"top_features":[{"feature":'
    '"n_apis","value":41.0,"principal_baseline":6.5,"peer_baseline":null,"deviation":5.12}],'
    '"unusual":{"apis":[{"value":"iam:ListUsers","events":61,"category":"discovery"},'
    '{"value":"s3:ListObjects","events":3}],"regions":[]},"profile":{"apis":{"frequent":'
    '["sts:AssumeRole"],"infrequent":[],"rare":[]},"regions":{"frequent":["eu-west-1"],'
    '"infrequent":[],"rare":[]}},"sensitive_calls":{},"source_ips":["203.0.113.77"],'
    '"user_agents":["python-requests/2.31.0"],"regions":[],"threshold":0.62}'
)


def rule_evidence() -> Evidence:
    return Evidence(
        rule="root_console_login",
        why="The root user signed in.",
        regions=("us-east-1",),
        source_ips=("198.51.100.23",),
        user_agents=("Mozilla/5.0",),
        events=(
            SampleEvent(
                event_id="e1",
                event_time=T0,
                event_name="ConsoleLogin",
                event_source="signin.amazonaws.com",
                source_ip_address="198.51.100.23",
            ),
        ),
        events_omitted=0,
        key_order=RULE_KEYS,
    )


def anomaly_evidence() -> Evidence:
    return Evidence(
        summary="bob behaved unusually",
        score=0.71,
        windows=("2026-10-05T14:00:00+00:00",),
        cold_start=False,
        peer_group="role:ci",
        history_days=41.0,
        top_features=(FeatureContribution("n_apis", 41.0, 6.5, None, 5.12),),
        unusual={
            "apis": (Observed("iam:ListUsers", 61, "discovery"), Observed("s3:ListObjects", 3)),
            "regions": (),
        },
        profile={
            "apis": {"frequent": (Observed("sts:AssumeRole"),), "infrequent": (), "rare": ()},
            "regions": {"frequent": (Observed("eu-west-1"),), "infrequent": (), "rare": ()},
        },
        source_ips=("203.0.113.77",),
        user_agents=("python-requests/2.31.0",),
        threshold=0.62,
        key_order=ANOMALY_KEYS,
    )


def test_the_detectors_evidence_is_written_as_the_json_they_always_stored() -> None:
    assert to_json_text(rule_evidence()) == RULE_JSON
    assert to_json_text(anomaly_evidence()) == ANOMALY_JSON


def test_stored_json_reads_back_to_the_same_evidence_and_writes_back_identically() -> None:
    for built, text in [(rule_evidence(), RULE_JSON), (anomaly_evidence(), ANOMALY_JSON)]:
        read = from_json_text(text)

        assert read == built
        assert to_json_text(read) == text


def test_the_findings_table_holds_the_json_byte_for_byte() -> None:
    con = duckdb.connect()
    finding = rule_finding(evidence=anomaly_evidence())
    upsert_findings(con, [finding], now=T0)

    assert con.execute("SELECT evidence FROM findings").fetchall() == [(ANOMALY_JSON,)]
    (stored,) = load_findings(con)
    assert stored.evidence == finding.evidence
    assert to_json_text(stored.evidence) == ANOMALY_JSON


def test_readers_get_typed_values() -> None:
    evidence = from_json_text(ANOMALY_JSON)

    assert [a.category for a in evidence.unusual["apis"]] == ["discovery", None]
    assert evidence.profile["apis"]["frequent"] == (Observed("sts:AssumeRole"),)
    assert evidence.top_features[0].peer_baseline is None
    assert evidence.events == () and evidence.why is None
    assert from_json_text(RULE_JSON).events[0].event_time == T0


def test_empty_fields_are_left_out_unless_the_detector_names_its_keys() -> None:
    assert Evidence().to_json() == {}
    assert Evidence(why="w", regions=()).to_json() == {"why": "w"}
    assert Evidence(why="w", key_order=("regions", "why")).to_json() == {"regions": [], "why": "w"}


def test_keys_no_field_names_are_kept_where_they_were() -> None:
    text = '{"custom":{"a":[1,2]},"why":"w","note":null,"summary":"s"}'
    read = from_json_text(text)

    assert read.extra == {"custom": {"a": [1, 2]}, "note": None}
    assert (read.why, read.summary) == ("w", "s")
    assert to_json_text(read) == text
    built = Evidence(why="w", extra={"custom": 1})
    assert built.to_json() == {"why": "w", "custom": 1}  # a detector's own keys come last


def test_a_value_a_field_cannot_hold_is_kept_too() -> None:
    counted = {"window_minutes": 10.0, "count": 20, "distinct": 23, "keys": ["s1"]}
    built = Evidence(rule="secrets_sweep", extra={"threshold": counted})  # not a score threshold
    read = from_json_text(to_json_text(built))

    assert read.threshold is None and read.extra == {"threshold": counted}
    assert read == built


def test_the_reason_a_suppression_rule_adds_in_the_store_is_read() -> None:
    text = RULE_JSON[:-1] + ',"suppressed":"suppression rule: scanner"}'  # json_merge_patch

    assert from_json_text(text).suppressed == "suppression rule: scanner"
    assert to_json_text(from_json_text(text)) == text


def test_older_spellings_are_read_as_the_current_ones_and_written_back_unchanged() -> None:
    older = {
        "features": [{"name": "n_apis", "value": 41, "baseline": 6.5, "peer": 8.0}],
        "profiled": {"apis": ["AssumeRole"], "networks": {"frequent": ["AS16509"]}},
        "unusual": {"apis": ["ListUsers"], "networks": {"198.51.100.9": 14}},
        "events": ["6d4b2a6e-1111"],
        "source_ips": [{"value": "198.51.100.9"}],
    }
    evidence = Evidence.from_json(older)

    assert evidence.top_features == (FeatureContribution("n_apis", 41, 6.5, 8.0, None),)
    assert evidence.profile == {
        "apis": {"frequent": (Observed("AssumeRole"),)},  # a plain list: frequent values
        "networks": {"frequent": (Observed("AS16509"),)},
    }
    assert evidence.unusual == {
        "apis": (Observed("ListUsers"),),
        "networks": (Observed("198.51.100.9", 14),),  # {value: count}
    }
    assert evidence.events == (SampleEvent(event_id="6d4b2a6e-1111"),)
    assert evidence.source_ips == ("198.51.100.9",)
    assert evidence.extra == {}  # older spellings are not unknown keys
    assert to_json_text(evidence) == orjson.dumps(older).decode()


def test_changed_evidence_is_written_from_its_fields() -> None:
    older = Evidence.from_json({"profiled": {"apis": ["AssumeRole"]}, "x": 1})
    changed = dataclasses.replace(older, threshold=0.5)

    assert changed.to_json() == {
        "profile": {"apis": {"frequent": ["AssumeRole"]}},
        "threshold": 0.5,
        "x": 1,
    }


def test_a_sample_event_keeps_what_it_was_stored_with() -> None:
    stored = {"event_id": "e1", "event_name": "GetObject", "bucket": "b"}
    event = SampleEvent.from_json(stored)

    assert (event.event_id, event.event_name, event.extra) == ("e1", "GetObject", {"bucket": "b"})
    assert event.error_code is None and event.to_json() == stored
