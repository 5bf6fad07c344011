"""`trailguard archive` and `unarchive` as an analyst uses them: the decision is recorded, the
exporters send it, and "suppress similar" archives the same behaviour of the same role family
on the next detect, in another account too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.factories import assumed_role_identity, cloudtrail_event
from tests.unit.features.lakes import at, make_lake
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.detect.detect import run_detection
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.triage import history
from trailguard.pipeline.findings.views import FindingFilter, list_findings
from trailguard.pipeline.lake.db import open_db

FIRST, SECOND = "111122223333", "444455556666"


def _stop_logging(day: int, account: str, role: str) -> dict[str, object]:
    return cloudtrail_event(
        eventTime=at(day, 9),
        eventSource="cloudtrail.amazonaws.com",
        eventName="StopLogging",
        recipientAccountId=account,
        userIdentity=assumed_role_identity(
            role=role, session="i-0abc123def4567890", account=account
        ),
    )


def _findings(lake: Path, status: str | None = "active") -> list[tuple[str, str, str | None]]:
    with open_db(lake, read_only=True) as con:
        found = list_findings(con, FindingFilter(status=status))
    return sorted((f.principal, f.status, f.status_by) for f in found)


def _detected(tmp_path: Path, accounts: tuple[str, ...] = (FIRST,)) -> Path:
    """A lake where a role of the `drift-repair` family stopped logging in each of `accounts`
    (one day apart), detected."""
    roles = ("drift-repair-348", "drift-repair-632")
    events = [_stop_logging(day, a, roles[day]) for day, a in enumerate(accounts)]
    lake = make_lake(tmp_path, events)
    run_detection(lake, sigma=())
    return lake


def _active(lake: Path, account: str = FIRST) -> Finding:
    """The one active finding in `account`."""
    with open_db(lake, read_only=True) as con:
        (found,) = [f for f in list_findings(con, FindingFilter()) if account in f.principal]
    return found


def test_archive_with_suppress_quiets_the_same_behaviour_of_the_role_family(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = _detected(tmp_path, (FIRST, SECOND))
    first = _active(lake)

    code = main(
        [
            "archive",
            first.finding_id[:10],
            "--reason",
            "IaC drift repair pauses the trail",
            "--suppress",
            "--by",
            "ana",
            "--lake",
            str(lake),
        ]
    )

    assert code == 0
    assert "archived" in capsys.readouterr().out
    rules = (lake / "suppression.toml").read_text(encoding="utf-8")
    # An EC2 session is keyed by its role: the rule names the role family in every account.
    assert 'family = "role:drift-repair"' in rules
    assert 'owner = "ana"' in rules and "expires = " in rules
    # The second account's finding is archived by the rule on the next detect.
    again = run_detection(lake, sigma=())
    assert again.archived == 1
    assert _findings(lake) == []
    statuses = _findings(lake, status=None)
    assert [s[2] for s in statuses] == ["ana", "suppression"]


def test_unarchive_is_recorded_and_stands_against_suppression(tmp_path: Path) -> None:
    lake = _detected(tmp_path)
    finding = _active(lake)
    fid = finding.finding_id
    args = ["--lake", str(lake), "--by", "ana"]
    assert main(["archive", fid, "--reason", "drill", "--suppress", *args]) == 0
    assert main(["unarchive", fid, "--reason", "it was not a drill", *args]) == 0

    run_detection(lake, sigma=())  # the rule still matches it, but a person said otherwise

    assert _findings(lake) == [(finding.principal, "active", "ana")]
    with open_db(lake, read_only=True) as con:
        trail = [(a.action, a.actor, a.reason) for a in history(con, fid)]
    assert trail == [("archive", "ana", "drill"), ("unarchive", "ana", "it was not a drill")]


def test_archived_findings_reach_the_siem_with_their_status(tmp_path: Path) -> None:
    lake = _detected(tmp_path)
    out = tmp_path / "siem"
    assert main(["export", "--to", f"ndjson:{out}", "--lake", str(lake)]) == 0
    finding = _active(lake)
    assert main(["archive", finding.finding_id, "--reason", "drill", "--lake", str(lake)]) == 0
    assert main(["export", "--to", f"ndjson:{out}", "--lake", str(lake)]) == 0

    sent = [
        json.loads(line)
        for f in sorted(out.rglob("*.ndjson*"))
        for line in f.read_text().splitlines()
    ]
    assert [s["status"] for s in sent] == ["New", "Archived"]


def test_an_unknown_id_changes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lake = _detected(tmp_path)
    finding = _active(lake)

    code = main(["archive", finding.finding_id, "nope", "--reason", "x", "--lake", str(lake)])

    assert code == 2
    assert "no finding has an id starting with 'nope'" in capsys.readouterr().err
    assert _findings(lake) == [(finding.principal, "active", None)]


def test_suppressions_lists_each_rule_with_its_owner_expiry_and_what_it_archived(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lake = _detected(tmp_path, (FIRST, SECOND))
    first = _active(lake)
    args = ["--lake", str(lake), "--by", "ana"]
    main(["archive", first.finding_id, "--reason", "drift", "--suppress", *args])
    (lake / "suppression.toml").write_text(
        (lake / "suppression.toml").read_text(encoding="utf-8")
        + '\n[[suppress]]\nname = "old drill"\nowner = "bo"\nexpires = 2020-01-01\n',
        encoding="utf-8",
    )
    run_detection(lake, sigma=())
    capsys.readouterr()

    assert main(["suppressions", "--lake", str(lake), "--format", "json"]) == 0

    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["owner"], r["archived"]) for r in rows] == [("ana", 1), ("bo", 0)]
    assert rows[1]["expires"] == "2020-01-01 EXPIRED"
