"""An analyst's archive and unarchive: recorded with who, when and why, a new revision for the
exporters, and a person's unarchive stands against suppression rules."""

from __future__ import annotations

from datetime import timedelta

import duckdb
import pytest

from tests.unit.findings.test_store import T0, a_finding
from trailguard.pipeline.findings.store import load_findings, upsert_findings
from trailguard.pipeline.findings.triage import archive_by_suppression, history, set_status


def _store() -> tuple[duckdb.DuckDBPyConnection, str]:
    con = duckdb.connect()
    finding = a_finding()
    upsert_findings(con, [finding], now=T0)
    return con, finding.finding_id


def test_archiving_records_who_when_and_why_and_is_exported_again() -> None:
    con, fid = _store()
    (before,) = load_findings(con)
    later = T0 + timedelta(days=1)
    assert set_status(con, fid, archived=True, actor="ana", reason="drill", now=later)

    (after,) = load_findings(con, after_revision=before.revision)  # the exporters' cursor moves
    assert (after.status, after.status_by, after.status_reason, after.status_at) == (
        "archived",
        "ana",
        "drill",
        later,
    )
    (action,) = history(con, fid)
    assert (action.action, action.actor, action.reason, action.at) == (
        "archive",
        "ana",
        "drill",
        later,
    )


def test_deciding_what_is_already_so_changes_nothing_but_is_recorded() -> None:
    con, fid = _store()
    set_status(con, fid, archived=True, actor="ana", reason="drill", now=T0)
    (stored,) = load_findings(con)
    assert not set_status(con, fid, archived=True, actor="bo", reason="agreed", now=T0)
    assert load_findings(con, after_revision=stored.revision) == []
    assert [a.actor for a in history(con, fid)] == ["ana", "bo"]


def test_a_reason_is_required() -> None:
    con, fid = _store()
    with pytest.raises(ValueError, match="reason is required"):
        set_status(con, fid, archived=True, actor="ana", reason="  ")
    assert history(con, fid) == []


def test_a_failure_before_commit_changes_nothing() -> None:
    con, fid = _store()

    def refuse() -> None:
        raise OSError("disk full")

    with pytest.raises(OSError):
        set_status(con, fid, archived=True, actor="ana", reason="x", before_commit=refuse)
    (stored,) = load_findings(con)
    assert stored.status == "active" and history(con, fid) == []


def test_an_update_of_the_episode_keeps_the_analysts_decision() -> None:
    con, fid = _store()
    set_status(con, fid, archived=True, actor="ana", reason="drill", now=T0)
    upsert_findings(con, [a_finding(event_count=5, last_seen=T0 + timedelta(hours=1))])
    (stored,) = load_findings(con)
    assert (stored.status, stored.event_count, stored.status_by) == ("archived", 5, "ana")


def test_suppression_never_re_archives_what_a_person_unarchived() -> None:
    con, fid = _store()
    assert archive_by_suppression(con, fid, "suppression rule: drills")
    set_status(con, fid, archived=False, actor="ana", reason="this one was real")
    assert not archive_by_suppression(con, fid, "suppression rule: drills")
    (stored,) = load_findings(con)
    assert (stored.status, stored.status_by) == ("active", "ana")
    assert [(a.action, a.actor) for a in history(con, fid)] == [
        ("archive", "suppression"),
        ("unarchive", "ana"),
    ]


def test_a_decision_on_an_unknown_finding_is_refused_and_not_recorded() -> None:
    con, _ = _store()
    with pytest.raises(ValueError, match="no finding has the id 'nope'"):
        set_status(con, "nope", archived=True, actor="ana", reason="x")
    assert history(con, "nope") == []


@pytest.mark.parametrize("actor", ["", "  ", "suppression"])
def test_a_decision_names_a_person(actor: str) -> None:
    con, fid = _store()
    with pytest.raises(ValueError, match="name the person deciding"):
        set_status(con, fid, archived=True, actor=actor, reason="x")
