"""Triage subcommands of `trailguard`: archive and unarchive findings, "suppress similar".

Thin: the decisions and their audit trail are pipeline/findings/triage.py's, the suppression rule
a finding makes is pipeline/findings/similar.py's.
"""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import add_lake_arg, reads_lake
from trailguard.pipeline.cli.detect import EXPLAIN_LISTED, explain_miss
from trailguard.pipeline.findings.similar import append_rule, similar_to
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.suppression import DEFAULT_FILE, load_suppression
from trailguard.pipeline.findings.triage import archived_by_rule, current_user, set_status
from trailguard.pipeline.findings.views import get_finding, ids_starting_with
from trailguard.pipeline.lake.db import open_db
from trailguard.pipeline.lake.lock import lake_lock
from trailguard.pipeline.lake.recover import write_backup
from trailguard.pipeline.report.output import print_rows
from trailguard.pipeline.report.terminal import printable

if TYPE_CHECKING:
    import duckdb

    Sub = argparse._SubParsersAction[argparse.ArgumentParser]


def add_triage_commands(sub: Sub) -> None:
    """Register `archive`, `unarchive` and `suppressions` on the `trailguard` parser."""
    _archive(sub)
    _unarchive(sub)
    _suppressions(sub)


def _common(p: argparse.ArgumentParser, verb: str) -> None:
    p.add_argument("finding_ids", nargs="+", metavar="ID", help="finding id (or a unique prefix)")
    p.add_argument("--reason", required=True, help=f"why you {verb} it (kept with the finding)")
    p.add_argument("--by", default=current_user(), help="who decided (default: your login name)")
    add_lake_arg(p)


def _archive(sub: Sub) -> None:
    p = sub.add_parser(
        "archive",
        help="archive findings you have judged (exports send the archived status)",
        description="Archive findings: they leave the active list and the report, stay in the "
        "store, and every exporter sends them again as archived. --suppress also writes a "
        "suppression rule for the same behaviour by the same family of principal, which the "
        "next `trailguard detect` applies to new findings.",
    )
    _common(p, "archive")
    p.add_argument(
        "--suppress",
        action="store_true",
        help="also archive similar findings from now on: the same type by the same principal "
        "family (a person in any account, a role family in any account)",
    )
    p.add_argument(
        "--expires",
        type=_day,
        metavar="YYYY-MM-DD",
        help="with --suppress: the day the rule stops matching (default: in 90 days)",
    )
    p.add_argument(
        "--suppression", type=Path, help=f"suppression file to add to (<lake>/{DEFAULT_FILE})"
    )
    p.set_defaults(command=cmd_archive)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a day: give YYYY-MM-DD") from None


def _unarchive(sub: Sub) -> None:
    p = sub.add_parser(
        "unarchive",
        help="make archived findings active again (suppression rules never re-archive them)",
    )
    _common(p, "unarchive")
    p.set_defaults(command=cmd_unarchive)


@reads_lake
def cmd_archive(args: argparse.Namespace) -> int:
    """`trailguard archive ID... --reason ... [--suppress]`."""
    if args.expires is not None and not args.suppress:
        raise ValueError("--expires is the expiry of a suppression rule: give it with --suppress")
    if args.expires is not None and args.expires <= datetime.now(UTC).date():
        raise ValueError(f"--expires {args.expires} is not in the future")
    rules = args.suppression or args.lake / DEFAULT_FILE
    with lake_lock(args.lake, purpose="archive findings"):
        with open_db(args.lake) as con:
            _archive_each(con, args, rules)
        write_backup(args.lake)  # decisions exist nowhere else: `check --rebuild-db` needs them
    return 0


def _archive_each(con: duckdb.DuckDBPyConnection, args: argparse.Namespace, rules: Path) -> None:
    for finding in _resolve(con, args.finding_ids):
        rule = None
        if args.suppress:
            rule = similar_to(finding, owner=args.by, reason=args.reason, expires=args.expires)
        changed = set_status(
            con,
            finding.finding_id,
            archived=True,
            actor=args.by,
            reason=args.reason,
            suppression=rule.name if rule else None,
            before_commit=partial(append_rule, rules, rule) if rule else None,
        )
        _say(finding, "archived" if changed else "was already archived")
        if rule:
            print(printable(f"  suppression rule added to {rules}: {rule.name}"))


@reads_lake
def cmd_unarchive(args: argparse.Namespace) -> int:
    """`trailguard unarchive ID... --reason ...`."""
    with lake_lock(args.lake, purpose="unarchive findings"):
        with open_db(args.lake) as con:
            for finding in _resolve(con, args.finding_ids):
                changed = set_status(
                    con, finding.finding_id, archived=False, actor=args.by, reason=args.reason
                )
                _say(finding, "active again" if changed else "was already active")
        write_backup(args.lake)
    return 0


def _resolve(con: duckdb.DuckDBPyConnection, ids: list[str]) -> list[Finding]:
    """Every id (or unique prefix) as its finding; one that names none, or several, is an
    error before anything changes."""
    found = []
    for prefix in ids:
        finding = get_finding(con, prefix)
        if finding is None:
            count, first = ids_starting_with(con, prefix, EXPLAIN_LISTED)
            raise ValueError(explain_miss(prefix, count, first))
        found.append(finding)
    return found


def _say(finding: Finding, what: str) -> None:
    print(printable(f"{finding.finding_id}  {what}: {finding.type}  {finding.principal}"))


def _suppressions(sub: Sub) -> None:
    p = sub.add_parser(
        "suppressions",
        help="list the suppression rules: owner, expiry, reason, findings each archived",
    )
    add_lake_arg(p)
    p.add_argument("--suppression", type=Path, help=f"suppression file (<lake>/{DEFAULT_FILE})")
    p.add_argument(
        "--format", choices=["table", "csv", "json"], default="table", help="table (default)"
    )
    p.set_defaults(command=cmd_suppressions)


@reads_lake
def cmd_suppressions(args: argparse.Namespace) -> int:
    """`trailguard suppressions`: every rule of the file, expired ones marked, with the number
    of findings it has archived."""
    path = args.suppression or args.lake / DEFAULT_FILE
    config = load_suppression(path, must_exist=args.suppression is not None)
    with open_db(args.lake, read_only=True) as con:
        counts = archived_by_rule(con)
    today = datetime.now(UTC).date()
    rows = [
        [
            rule.name,
            rule.owner or "-",
            "never"
            if rule.expires is None
            else f"{rule.expires}" + (" EXPIRED" if rule.expired(today) else ""),
            counts.get(rule.archive_reason, 0),
            rule.reason or "-",
        ]
        for rule in config.rules
    ]
    print_rows(["name", "owner", "expires", "archived", "reason"], rows, args.format)
    if config.trusted_networks:
        networks = ", ".join(str(n) for n in config.trusted_networks)
        print(printable(f"trusted networks: {networks}"))
    return 0
