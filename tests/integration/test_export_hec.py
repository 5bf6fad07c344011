"""Export to a Splunk HTTP Event Collector on loopback: batching, acks, faults, nothing lost."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.helpers.findings import many_findings
from tests.helpers.hec_server import HecState, hec_server
from tests.helpers.lake import cursor_row, expected_versions, store, versions
from tests.helpers.ocsf import validate_event
from tests.helpers.tls import make_pki
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.export.deliver import ExportStats, export_findings
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.lake.db import db_path

TOKEN = "6f1e2d3c-aaaa-bbbb-cccc-tg-hec-token-0001"


def export(lake: Path, url: str, **options: Any) -> ExportStats:
    settings: dict[str, Any] = {
        "max_retries": 2,
        "backoff": 0.01,
        "timeout": 1.0,
        "env": {"TRAILGUARD_HEC_TOKEN": TOKEN},
    }
    settings.update(options)
    return export_findings(lake, f"hec:{url}", **settings)


def ocsf_events(state: HecState) -> list[dict[str, Any]]:
    return [e["event"] for e in state.events]


def grow(finding: Finding, minutes: int) -> Finding:
    """The same finding after more events: what a detector's next run upserts."""
    return dataclasses.replace(
        finding,
        event_count=finding.event_count + minutes,
        last_seen=finding.last_seen + timedelta(minutes=minutes),
    )


def test_findings_arrive_in_batches_with_the_splunk_token_and_a_channel(tmp_path: Path) -> None:
    stored = store(tmp_path / "lake", many_findings(5))
    state = HecState(token=TOKEN)

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, batch_size=2)
        again = export(tmp_path / "lake", url, batch_size=2)

    assert [len(b) for b in state.batches] == [2, 2, 1]
    assert {r["headers"]["Authorization"] for r in state.requests} == {f"Splunk {TOKEN}"}
    assert len({r["headers"]["X-Splunk-Request-Channel"] for r in state.requests}) == 1
    assert versions(ocsf_events(state)) == expected_versions(stored)
    assert all(validate_event(e) == [] for e in ocsf_events(state))
    assert (stats.sent, stats.cursor_before, stats.cursor_after) == (5, 0, stored[-1].revision)
    assert (again.sent, again.cursor_after) == (0, stored[-1].revision)  # nothing new: no resend


def test_with_acknowledgement_on_a_batch_counts_once_the_collector_acks_it(
    tmp_path: Path,
) -> None:
    stored = store(tmp_path / "lake", many_findings(3))
    state = HecState(token=TOKEN, ack=True)

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, batch_size=2)

    ack_requests = [r for r in state.requests if r["path"].startswith("/services/collector/ack")]
    assert len(ack_requests) == 2 and all("channel=" in r["path"] for r in ack_requests)
    assert stats.ok and stats.sent == 3
    assert versions(ocsf_events(state)) == expected_versions(stored)


def test_a_batch_never_acknowledged_is_sent_again_and_carries_its_dedupe_key(
    tmp_path: Path,
) -> None:
    stored = store(tmp_path / "lake", many_findings(2))
    state = HecState(token=TOKEN, ack=True, faults=["noack"])

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, timeout=0.3)

    received = versions(ocsf_events(state))
    assert stats.ok and len(state.batches) == 2  # at least once: the unacked batch again
    assert set(received) == set(expected_versions(stored))
    assert set(received.values()) == {2}  # the copies share metadata.uid: a receiver drops them


def test_a_timeout_after_the_collector_took_the_batch_resends_it_under_the_same_key(
    tmp_path: Path,
) -> None:
    stored = store(tmp_path / "lake", many_findings(3))
    state = HecState(token=TOKEN, faults=["slow"], slow_seconds=1.0)

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, timeout=0.3)

    received = versions(ocsf_events(state))
    assert stats.ok and stats.sent == 3 and len(state.batches) == 2  # taken, timed out, resent
    assert set(received) == set(expected_versions(stored))
    assert set(received.values()) == {2}  # same (uid, version): the copy is recognisable


def test_503s_are_retried_with_growing_backoff_until_delivered(tmp_path: Path) -> None:
    stored = store(tmp_path / "lake", many_findings(3))
    state = HecState(token=TOKEN, faults=["503", "503"])
    waits: list[float] = []

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, max_retries=3, backoff=0.2, sleep=waits.append)

    assert stats.ok and stats.sent == 3
    assert len(waits) == 2 and 0.1 <= waits[0] <= 0.2 <= waits[1] <= 0.4
    assert versions(ocsf_events(state)) == expected_versions(stored)  # exactly once


def test_a_destination_down_for_two_runs_then_back_gets_every_version_exactly_once(
    tmp_path: Path,
) -> None:
    lake = tmp_path / "lake"
    first = many_findings(4)
    store(lake, first)
    state = HecState(token=TOKEN)
    with hec_server(state) as url:  # learn a free port, then leave it closed: "down"
        pass
    port = int(url.rsplit(":", 1)[1])

    down = export(lake, url)  # run 1: connection refused
    store(lake, [grow(first[0], 5), *many_findings(1, first=100)])
    state.faults = ["503"] * 3
    with hec_server(state, port=port):
        busy = export(lake, url)  # run 2: up, but every request answers 503
        after_busy = cursor_row(lake, busy.destination) or {}
        back = export(lake, url)  # run 3: healthy
        store(lake, [grow(first[1], 9)])
        later = export(lake, url)  # run 4: an updated finding goes out again

    assert (down.retryable, down.sent, down.cursor_after) == (True, 0, 0)
    assert (busy.retryable, busy.sent, busy.cursor_after) == (True, 0, 0)
    assert "HTTP 503" in after_busy["last_error"] and after_busy["revision"] == 0
    assert (cursor_row(lake, back.destination) or {})["last_error"] is None
    assert back.ok and back.sent == 5 and later.sent == 1
    received = versions(ocsf_events(state))
    assert set(received.values()) == {1}  # nothing twice
    assert received[(first[0].finding_id, 2)] == 1  # the version current when it came back
    assert received[(first[1].finding_id, 1)] == 1 and received[(first[1].finding_id, 2)] == 1
    assert sum(received.values()) == 6


def test_a_refused_token_is_reported_clearly_without_retries_and_loses_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(2))
    state = HecState(token="the-right-one")

    with hec_server(state) as url:
        refused = export(lake, url)
        state.token = TOKEN
        fixed = export(lake, url)

    assert not refused.ok and not refused.retryable
    assert refused.error is not None and "HTTP 403 Invalid token (code 4)" in refused.error
    assert refused.cursor_after == 0 and len(state.requests) == 2  # one refused, one delivered
    assert fixed.ok and versions(ocsf_events(state)) == expected_versions(stored)


def test_cli_exit_codes_say_sent_unavailable_or_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    store(lake, many_findings(1))
    monkeypatch.setenv("TRAILGUARD_HEC_TOKEN", TOKEN)
    state = HecState(token="other")
    args = ["--lake", str(lake), "--max-retries", "0", "--timeout", "1"]

    with hec_server(state) as url:
        refused = main(["export", "--to", f"hec:{url}", *args])
        refused_err = capsys.readouterr().err
        state.token = TOKEN
        sent = main(["export", "--to", f"hec:{url}", *args])
    store(lake, many_findings(1, first=100))
    down = main(["export", "--to", f"hec:{url}", *args])

    assert (refused, sent, down) == (1, 0, 75)
    assert "export stopped" in refused_err and "403" in refused_err


def test_token_in_the_environment_appears_in_no_log_error_output_or_file(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lake = tmp_path / "lake"
    store(lake, many_findings(3))
    monkeypatch.setenv("TRAILGUARD_HEC_TOKEN", TOKEN)
    caplog.set_level("DEBUG")
    state = HecState(token=TOKEN, faults=["503"])
    common = ["--lake", str(lake), "--max-retries", "0", "--timeout", "1", "--batch-size", "2"]

    def run() -> int:
        return main(["-v", "export", "--to", f"hec:{url}", *common])

    with hec_server(state) as url:
        codes = [run()]  # 503: unavailable
        state.token = "another-token"
        codes.append(run())  # 403: refused
        state.token = TOKEN
        codes.append(run())  # delivered
    store(lake, many_findings(1, first=100))
    codes.append(run())  # down
    output = capsys.readouterr()

    assert codes == [75, 1, 0, 75]
    assert any(TOKEN in r["headers"]["Authorization"] for r in state.requests)  # it was used
    assert TOKEN not in caplog.text + output.out + output.err
    assert "503" in caplog.text and "403" in output.err  # the failures were reported
    for path in tmp_path.rglob("*"):
        assert not path.is_file() or TOKEN.encode() not in path.read_bytes(), path


def test_https_collector_is_verified_and_trusted_only_through_its_ca(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(2))
    pki = make_pki(tmp_path)
    state = HecState(token=TOKEN)

    with hec_server(state, tls=pki.server_context()) as url:
        untrusted = export(lake, url)
        trusted = export(lake, f"{url}?ca={pki.ca_file}")

    assert url.startswith("https://")
    assert untrusted.error is not None and "certificate not trusted" in untrusted.error
    assert not untrusted.retryable and untrusted.cursor_after == 0
    assert trusted.ok and versions(ocsf_events(state)) == expected_versions(stored)


def test_each_index_of_one_collector_keeps_its_own_cursor(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(2))
    state = HecState(token=TOKEN)

    with hec_server(state) as url:
        main_index = export(lake, f"{url}?index=security")
        other_index = export(lake, f"{url}?index=archive")

    assert main_index.destination.endswith("/services/collector/event?index=security")
    assert (main_index.sent, other_index.sent) == (2, 2)
    assert [e["index"] for e in state.events] == ["security"] * 2 + ["archive"] * 2
    assert versions(ocsf_events(state)) == {k: 2 for k in expected_versions(stored)}


def rejects(lake: Path) -> dict[str, str]:
    with duckdb.connect(str(db_path(lake)), read_only=True) as con:
        rows = con.execute("SELECT finding_id, reason FROM export_rejects").fetchall()
    return {str(r[0]): str(r[1]) for r in rows}


def test_one_poisoned_event_is_isolated_and_kept_and_the_rest_delivered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(7))
    bad = stored[4]
    state = HecState(token=TOKEN, ack=True, poisoned={bad.finding_id})
    monkeypatch.setenv("TRAILGUARD_HEC_TOKEN", TOKEN)

    with hec_server(state) as url:
        code = main(["export", "--to", f"hec:{url}", "--lake", str(lake), "--batch-size", "7"])
        output = capsys.readouterr()
        again = export(lake, url)

    assert code == 0 and "sent 6, refused 1" in output.out and "refused 1 finding" in output.err
    assert rejects(lake) == {bad.finding_id: "HTTP 400 Invalid data format (code 6)"}
    delivered = versions(ocsf_events(state))
    assert set(delivered) == set(expected_versions(stored)) - {(bad.finding_id, bad.version)}
    assert (again.ok, again.sent, again.failed) == (True, 0, 0)  # the feed is not blocked
    assert (cursor_row(lake, again.destination) or {})["revision"] == stored[-1].revision


def test_batches_are_gzipped_on_one_kept_alive_connection(tmp_path: Path) -> None:
    stored = store(tmp_path / "lake", many_findings(5))
    state = HecState(token=TOKEN, ack=True)

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, batch_size=2)

    posts = [r for r in state.requests if r["path"] == "/services/collector/event"]
    assert stats.ok and len(posts) == 3
    assert {r["headers"]["Content-Encoding"] for r in posts} == {"gzip"}
    assert state.connections == 1  # three batches and their acks, one TCP connection
    assert versions(ocsf_events(state)) == expected_versions(stored)


@pytest.mark.parametrize("status", ["429", "503"])
def test_a_busy_collector_is_left_alone_for_its_retry_after(tmp_path: Path, status: str) -> None:
    stored = store(tmp_path / "lake", many_findings(2))
    state = HecState(token=TOKEN, faults=[status], retry_after="3")
    waits: list[float] = []

    with hec_server(state) as url:
        stats = export(tmp_path / "lake", url, backoff=0.01, sleep=waits.append)

    assert stats.ok and waits == [3.0]  # not the 0.01 s backoff
    assert versions(ocsf_events(state)) == expected_versions(stored)
