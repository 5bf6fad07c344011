"""An analyst's decisions on findings: archive, unarchive, and the audit trail of both.

`trailguard archive ID --reason ...` archives a finding as GuardDuty's console does: it stays in
the store, leaves the active list and the report, and every exporter sends it again with its
archived status. `--suppress` also appends a "suppress similar" rule (pipeline/findings/
similar.py), which the next `trailguard detect` applies to new findings of the same kind. Every
decision is recorded in `finding_actions` with who, when and why; `unarchive` is recorded the
same way, and a person's unarchive is final for suppression rules (sql/detect/archive.sql).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from trailguard.pipeline.findings.store import ensure_findings_table, has_table
from trailguard.pipeline.sqlfiles import read_sql
from trailguard.pipeline.transaction import transaction

SUPPRESSION_ACTOR = "suppression"


@dataclass(frozen=True)
class Action:
    """One archive or unarchive of a finding."""

    finding_id: str
    action: str  # archive | unarchive
    actor: str
    reason: str
    at: datetime  # `acted_at` in the table (`at` is a keyword of SQL)
    suppression: str | None = None  # the suppression rule the action wrote, if any


def current_user() -> str:
    """Who is at the keyboard, for `--by`'s default (the login name, else `unknown`)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry for the uid (containers)
        return "unknown"


def set_status(
    con: duckdb.DuckDBPyConnection,
    finding_id: str,
    *,
    archived: bool,
    actor: str,
    reason: str,
    suppression: str | None = None,
    now: datetime | None = None,
    before_commit: Callable[[], None] | None = None,
) -> bool:
    """Archive (or unarchive) one finding and record it; False when it already had that status
    (the decision is still recorded: who confirmed it and why is part of the trail).
    `before_commit` runs inside the transaction (writing the suppression rule): if it fails,
    nothing is changed."""
    if not reason.strip():
        raise ValueError("a reason is required: say why, for whoever reads the finding next")
    if not actor.strip() or actor == SUPPRESSION_ACTOR:
        raise ValueError(f"--by {actor!r}: name the person deciding (not empty, not suppression)")
    ensure_findings_table(con)
    known = con.execute(
        "SELECT count(*) FROM findings WHERE finding_id = $id", {"id": finding_id}
    ).fetchall()[0][0]
    if not known:
        raise ValueError(f"no finding has the id {finding_id!r}")
    now = now or datetime.now(UTC)
    status = "archived" if archived else "active"
    with transaction(con):
        changed = con.execute(
            read_sql("findings/set_status.sql"),
            {
                "finding_id": finding_id,
                "status": status,
                "reason": reason,
                "actor": actor,
                "now": now,
            },
        ).fetchall()
        action = "archive" if archived else "unarchive"
        record(con, Action(finding_id, action, actor, reason, now, suppression))
        if before_commit is not None:
            before_commit()
    return bool(changed)


def archive_by_suppression(
    con: duckdb.DuckDBPyConnection, finding_id: str, reason: str, now: datetime | None = None
) -> bool:
    """Archive a finding a suppression rule matches (sql/detect/archive.sql: never one a person
    unarchived) and record it, both or neither; False when nothing changed."""
    with transaction(con):
        changed = con.execute(
            read_sql("detect/archive.sql"), {"finding_id": finding_id, "reason": reason}
        ).fetchall()
        if changed:
            at = now or datetime.now(UTC)
            record(con, Action(finding_id, "archive", SUPPRESSION_ACTOR, reason, at))
    return bool(changed)


def record(con: duckdb.DuckDBPyConnection, action: Action) -> None:
    """Append one action to `finding_actions`."""
    con.execute(
        read_sql("findings/record_action.sql"),
        {
            "finding_id": action.finding_id,
            "action": action.action,
            "actor": action.actor,
            "reason": action.reason,
            "now": action.at,
            "suppression": action.suppression,
        },
    )


def history(con: duckdb.DuckDBPyConnection, finding_id: str) -> list[Action]:
    """Every action on a finding, oldest first (none on a lake that has never had one)."""
    if not has_table(con, "finding_actions"):
        return []
    rows = con.execute(
        "SELECT finding_id, action, actor, reason, acted_at, suppression FROM finding_actions"
        " WHERE finding_id = $id ORDER BY acted_at, action",
        {"id": finding_id},
    ).fetchall()
    return [Action(*row) for row in rows]


def archived_by_rule(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Findings archived by suppression now, by their reason (`Suppression.archive_reason`)."""
    if not has_table(con, "findings"):
        return {}
    rows = con.execute(
        "SELECT status_reason, count(*) FROM findings"
        " WHERE status = 'archived' AND status_by = $actor GROUP BY ALL",
        {"actor": SUPPRESSION_ACTOR},
    ).fetchall()
    return {str(reason): int(count) for reason, count in rows}
