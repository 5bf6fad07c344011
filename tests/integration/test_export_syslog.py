"""Export to a syslog receiver on loopback: RFC 5424 over TCP and TLS, JSON and CEF."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.findings import many_findings, ml_finding, rule_finding
from tests.helpers.lake import expected_versions, store, versions
from tests.helpers.ocsf import validate_event
from tests.helpers.syslog_server import SyslogState, syslog_server
from tests.helpers.tls import make_pki
from trailguard.pipeline.export.deliver import ExportStats, export_findings


def export(lake: Path, destination: str, **options: Any) -> ExportStats:
    settings: dict[str, Any] = {"max_retries": 1, "backoff": 0.01, "timeout": 2.0}
    settings.update(options)
    return export_findings(lake, destination, **settings)


def payloads(state: SyslogState) -> list[dict[str, Any]]:
    return [json.loads(m["msg"]) for m in state.messages]


def test_findings_arrive_as_rfc5424_messages_carrying_valid_ocsf(tmp_path: Path) -> None:
    stored = store(tmp_path / "lake", [rule_finding(), ml_finding(), *many_findings(3)])
    state = SyslogState()

    with syslog_server(state) as port:
        stats = export(tmp_path / "lake", f"syslog://127.0.0.1:{port}", batch_size=2)

    assert stats.ok and stats.sent == 5
    assert state.connections == 3  # one connection per batch of two
    assert versions(payloads(state)) == expected_versions(stored)
    assert all(validate_event(p) == [] for p in payloads(state))
    assert {m["app_name"] for m in state.messages} == {"trailguard"}
    uids = {m["structured_data"]["trailguard@32473"]["uid"] for m in state.messages}
    assert uids == {f.finding_id for f in stored}


def test_cef_format_sends_one_cef_record_per_finding(tmp_path: Path) -> None:
    stored = store(tmp_path / "lake", [rule_finding(), ml_finding()])
    state = SyslogState()

    with syslog_server(state) as port:
        stats = export(tmp_path / "lake", f"syslog://127.0.0.1:{port}?format=cef")

    assert stats.ok and stats.destination.endswith("?format=cef")
    assert all(m["msg"].startswith("CEF:0|trailguard|trailguard|") for m in state.messages)
    external_ids = {m["msg"].split("externalId=")[1].split(" ")[0] for m in state.messages}
    assert external_ids == {f.finding_id for f in stored}


def test_tls_receiver_is_verified_and_trusted_only_through_its_ca(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(3))
    pki = make_pki(tmp_path)
    state = SyslogState()

    with syslog_server(state, tls=pki.server_context()) as port:
        untrusted = export(lake, f"syslog+tls://127.0.0.1:{port}")
        trusted = export(lake, f"syslog+tls://127.0.0.1:{port}?ca={pki.ca_file}")

    assert untrusted.error is not None and "certificate not trusted" in untrusted.error
    assert not untrusted.retryable and untrusted.cursor_after == 0
    assert trusted.ok and trusted.sent == 3
    assert versions(payloads(state)) == expected_versions(stored)


def test_a_receiver_down_for_two_runs_then_back_gets_every_finding_exactly_once(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    store(lake, many_findings(2))
    state = SyslogState()
    with syslog_server(state) as port:  # learn a free port, then leave it closed
        pass
    destination = f"syslog://127.0.0.1:{port}"

    runs = [export(lake, destination)]
    stored = store(lake, many_findings(2, first=50))
    runs.append(export(lake, destination))
    with syslog_server(state, port=port):
        runs.append(export(lake, destination))

    assert [(r.retryable, r.sent) for r in runs] == [(True, 0), (True, 0), (False, 4)]
    assert versions(payloads(state)) == expected_versions(stored)  # each once


def test_a_receiver_that_crashes_mid_batch_does_not_count_as_delivered(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(3))
    state = SyslogState(resets=1)

    with syslog_server(state) as port:
        stats = export(lake, f"syslog://127.0.0.1:{port}")

    assert stats.ok and stats.sent == 3 and state.connections == 1  # the reset one, then this
    assert versions(payloads(state)) == expected_versions(stored)
