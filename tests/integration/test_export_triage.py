"""An analyst archives a stored finding, then unarchives it: what each SIEM receives.

Each destination gets the finding again after each decision, with its status and who decided
why, and nothing on the export after that. Security Hub's side (Workflow and Note through
BatchUpdateFindings) is in test_export_securityhub.py, next to the local Security Hub it needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.helpers.findings import ml_finding, rule_finding
from tests.helpers.hec_server import HecState, hec_server
from tests.helpers.lake import store
from tests.helpers.ocsf import validate_event
from tests.helpers.syslog_server import SyslogState, syslog_server
from trailguard.pipeline.export.deliver import export_findings
from trailguard.pipeline.findings.triage import set_status
from trailguard.pipeline.lake.db import open_db

TOKEN = "6f1e2d3c-aaaa-bbbb-cccc-tg-hec-token-0002"
ARCHIVE_REASON = "approved change CHG-1182"
UNARCHIVE_REASON = "CHG-1182 was never run"


def decide(lake: Path, finding_id: str, *, archived: bool, actor: str, reason: str) -> None:
    """`trailguard archive` / `unarchive` on the stored lake."""
    with open_db(lake) as con:
        set_status(con, finding_id, archived=archived, actor=actor, reason=reason)


def archive_then_unarchive(lake: Path, export: Callable[[], int]) -> tuple[str, list[int]]:
    """Store two findings and export; archive one (ana) and export twice; unarchive it (bo)
    and export twice. Returns the judged finding's id and how many each export sent."""
    judged, _ = store(lake, [rule_finding(), ml_finding()])
    sent = [export()]
    decide(lake, judged.finding_id, archived=True, actor="ana", reason=ARCHIVE_REASON)
    sent += [export(), export()]
    decide(lake, judged.finding_id, archived=False, actor="bo", reason=UNARCHIVE_REASON)
    sent += [export(), export()]
    return judged.finding_id, sent


def ocsf_copies(events: list[dict[str, Any]], finding_id: str) -> list[dict[str, Any]]:
    return [e for e in events if e["finding_info"]["uid"] == finding_id]


def assert_ocsf_decisions(copies: list[dict[str, Any]]) -> None:
    """New, then archived by ana, then back in progress by bo's word; each a valid event."""
    assert [(c["status_id"], c["status"], c["is_alert"]) for c in copies] == [
        (1, "New", True),
        (5, "Archived", False),
        (2, "In Progress", True),
    ]
    assert [c.get("status_detail") for c in copies] == [
        None,
        f"Archived by ana: {ARCHIVE_REASON}",
        f"Unarchived by bo: {UNARCHIVE_REASON}",
    ]
    assert [c.get("comment") for c in copies] == [None, ARCHIVE_REASON, UNARCHIVE_REASON]
    decisions = [c["unmapped"]["trailguard"].get("decision") for c in copies]
    assert [(d["action"], d["by"]) if d else None for d in decisions] == [
        None,
        ("archive", "ana"),
        ("unarchive", "bo"),
    ]
    assert len({c["metadata"]["uid"] for c in copies}) == 3  # three changes, none a copy
    assert all(validate_event(c) == [] for c in copies)


def test_ndjson_files_receive_each_decision_once(tmp_path: Path) -> None:
    lake, out = tmp_path / "lake", tmp_path / "out"

    judged, sent = archive_then_unarchive(lake, lambda: export_findings(lake, f"ndjson:{out}").sent)

    events = [
        json.loads(x) for f in sorted(out.rglob("*.ndjson")) for x in f.read_text().splitlines()
    ]
    assert sent == [2, 1, 0, 1, 0]
    assert_ocsf_decisions(ocsf_copies(events, judged))


def test_splunk_receives_each_decision_once(tmp_path: Path) -> None:
    lake, state = tmp_path / "lake", HecState(token=TOKEN)
    env = {"TRAILGUARD_HEC_TOKEN": TOKEN}

    with hec_server(state) as url:
        judged, sent = archive_then_unarchive(
            lake, lambda: export_findings(lake, f"hec:{url}", env=env, timeout=2.0).sent
        )

    assert sent == [2, 1, 0, 1, 0]
    assert_ocsf_decisions(ocsf_copies([e["event"] for e in state.events], judged))


def cef_extension(message: str) -> dict[str, str]:
    extension = message.split("|", 7)[7]
    keys = re.findall(r"(?:^| )([A-Za-z0-9]+)=", extension)
    return dict(zip(keys, re.split(r"(?:^| )[A-Za-z0-9]+=", extension)[1:], strict=True))


def test_a_cef_receiver_gets_the_status_who_and_why_of_each_decision(tmp_path: Path) -> None:
    lake, state = tmp_path / "lake", SyslogState()

    with syslog_server(state) as port:
        destination = f"syslog://127.0.0.1:{port}?format=cef"
        judged, sent = archive_then_unarchive(
            lake, lambda: export_findings(lake, destination, timeout=2.0).sent
        )

    copies = [
        (m["structured_data"]["trailguard@32473"]["status"], cef_extension(m["msg"]))
        for m in state.messages
        if m["structured_data"]["trailguard@32473"]["uid"] == judged
    ]
    assert sent == [2, 1, 0, 1, 0]
    assert [(sd, cef["flexString1"]) for sd, cef in copies] == [
        ("active", "active"),
        ("archived", "archived"),
        ("active", "active"),
    ]
    assert [(cef.get("flexString2"), cef.get("reason")) for _, cef in copies] == [
        (None, None),
        ("ana", ARCHIVE_REASON),
        ("bo", UNARCHIVE_REASON),
    ]
    assert all(cef["flexString2Label"] == "statusBy" for _, cef in copies[1:])
