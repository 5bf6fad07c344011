"""HEC envelopes, NDJSON lines, the sink registry and redaction."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.golden import assert_golden
from tests.helpers.hec_server import split_events
from tests.helpers.ocsf import validate_event
from trailguard.pipeline.export import base
from trailguard.pipeline.export.base import DestinationRejected, DestinationUnavailable
from trailguard.pipeline.export.hec import check_answer, encode_batch
from trailguard.pipeline.export.hec import to_payload as hec_payload
from trailguard.pipeline.export.ndjson import object_key
from trailguard.pipeline.export.ndjson import to_payload as ndjson_line
from trailguard.pipeline.findings.store import Finding


def test_hec_envelope_matches_its_golden_file() -> None:
    assert_golden("hec_rule.json", hec_payload(rule_finding(), index="security"))


def test_hec_batch_is_newline_separated_events_holding_ocsf() -> None:
    body = encode_batch([hec_payload(rule_finding()), hec_payload(ml_finding())])
    events = split_events(body)

    assert [e["event"]["finding_info"]["uid"] for e in events] == [
        rule_finding().finding_id,
        ml_finding().finding_id,
    ]
    assert all(validate_event(e["event"]) == [] for e in events)
    assert events[0]["time"] == events[0]["event"]["time"] / 1000


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, DestinationUnavailable), (500, DestinationUnavailable), (429, DestinationUnavailable),
     (400, DestinationRejected), (401, DestinationRejected), (403, DestinationRejected)],
)  # fmt: skip
def test_hec_status_codes_mean_retry_later_or_refused(status: int, error: type) -> None:
    with pytest.raises(error, match=f"HTTP {status}"):
        check_answer(status, b'{"text": "x", "code": 9}', "hec:test")


def test_ndjson_lines_are_one_valid_ocsf_event_each() -> None:
    lines = (ndjson_line(rule_finding()) + ndjson_line(ml_finding())).splitlines()

    assert [validate_event(json.loads(line)) for line in lines] == [[], []]
    assert_golden("ndjson_standard.ndjson", b"\n".join(lines) + b"\n")


def test_ndjson_object_key_is_dated_and_named_by_revision_range() -> None:
    batch = [rule_finding(revision=7), ml_finding(revision=12)]

    key = object_key(batch, datetime(2026, 10, 5, 23, 59, tzinfo=UTC))

    assert key == "dt=2026-10-05/trailguard-findings-r000000000007-r000000000012.ndjson"


def test_every_exporter_module_registers_its_schemes() -> None:
    assert {"ndjson", "s3", "hec", "syslog", "syslog+tls", "securityhub"} <= set(base.schemes())


def test_a_new_exporter_registers_itself_without_a_central_list() -> None:
    class Dummy:
        name = "dummy:x"
        secrets: tuple[str, ...] = ()

        def send(self, findings: Sequence[Finding]) -> list[base.Rejection]:
            return []

    base.register("dummy-test")(lambda destination, options: Dummy())
    try:
        assert base.open_sink("dummy-test:anything").name == "dummy:x"
    finally:
        base._OPENERS.pop("dummy-test")


def test_unknown_destination_lists_known_ones_without_its_credentials() -> None:
    with pytest.raises(ValueError, match="hec") as caught:
        base.open_sink("splunk://admin:hunter2@host:8088")

    assert "hunter2" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://admin:hunter2@splunk:8088/x", "https://***@splunk:8088/x"),
        (
            "hec:https://splunk:8088/?token=abc&index=s",
            "hec:https://splunk:8088/?token=***&index=s",
        ),
        ("s3://bucket/prefix?X-Amz-Signature=f00", "s3://bucket/prefix?X-Amz-Signature=***"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_redact_url_removes_credentials(text: str, expected: str) -> None:
    assert base.redact_url(text) == expected


def test_redact_removes_known_secret_values_anywhere() -> None:
    assert (
        base.redact("got 403 for token s3cr3t-t0ken", ["s3cr3t-t0ken", ""])
        == "got 403 for token ***"
    )


def test_plain_http_to_a_remote_collector_warns_that_the_token_travels_in_clear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    env = {"TRAILGUARD_HEC_TOKEN": "t0k3n-value"}

    base.open_sink("hec:http://splunk.example.com:8088", base.SinkOptions(env=env))
    base.open_sink("hec:http://127.0.0.1:8088", base.SinkOptions(env=env))
    base.open_sink("hec:https://splunk.example.com:8088", base.SinkOptions(env=env))

    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "splunk.example.com" in warnings[0]
    assert "t0k3n-value" not in caplog.text


def test_hec_without_a_token_in_the_environment_is_a_clear_usage_error() -> None:
    with pytest.raises(ValueError, match="TRAILGUARD_HEC_TOKEN"):
        base.open_sink("hec:https://splunk.example.com:8088", base.SinkOptions(env={}))
