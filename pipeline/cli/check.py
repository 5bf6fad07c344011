"""`trailguard check`: is the lake whole? `--repair` reads lost events again, `--rebuild-db`
replaces a damaged database (`pipeline.repair`; docs/reliability.md)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from trailguard.pipeline.cli.args import add_lake_arg, reads_lake
from trailguard.pipeline.cli.errors import DAMAGED, safe_line
from trailguard.pipeline.lake.damage import LakeCheck, damage_advice

if TYPE_CHECKING:
    from trailguard.pipeline.repair import Rebuild, Repair

    Sub = argparse._SubParsersAction[argparse.ArgumentParser]

LISTED = 20  # objects listed by name; the rest are counted


def add_check_command(sub: Sub) -> None:
    """Register `check` on the `trailguard` parser."""
    p = sub.add_parser(
        "check",
        help="find missing or unreadable parts of the lake; --repair reads them again",
        description="Compare the lake's Parquet files with what was written to them and with "
        "the objects' state: a missing partition, a file that cannot be read or fewer events "
        "than were written name the source objects to read again. Exit 0: sound (or repaired), "
        "65: damaged.",
    )
    add_lake_arg(p)
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--repair",
        action="store_true",
        help="move unreadable files to <lake>/damaged/ and read the objects of damaged "
        "partitions again from their source",
    )
    mode.add_argument(
        "--rebuild-db",
        action="store_true",
        help="replace a damaged trailguard.duckdb: keep it in <lake>/damaged/, salvage "
        "findings and export cursors (from it, else from <lake>/backup/), read the source again",
    )
    p.add_argument(
        "--source",
        action="append",
        default=[],
        help="with --rebuild-db: a source to read again when the damaged database no longer "
        "names them (repeatable)",
    )
    p.add_argument("--endpoint-url", help="S3-compatible endpoint (or AWS_ENDPOINT_URL)")
    p.add_argument(
        "--quick", action="store_true", help="read each file's footer only, not every page"
    )
    p.set_defaults(command=cmd_check)


def cmd_check(args: argparse.Namespace) -> int:
    """`trailguard check`: 0 sound (or repaired), 65 damaged."""
    if args.rebuild_db:
        return _rebuild(args)
    return _repair(args) if args.repair else _check(args)


@reads_lake
def _check(args: argparse.Namespace) -> int:
    from trailguard.pipeline.repair import check_lake

    found = check_lake(args.lake, quick=args.quick)
    print(format_check(found))
    if found.sound:
        return 0
    print(f"repair: trailguard check --repair --lake {args.lake}")
    return DAMAGED


@reads_lake
def _repair(args: argparse.Namespace) -> int:
    from trailguard.pipeline.repair import repair_lake

    done = repair_lake(args.lake, endpoint_url=args.endpoint_url, quick=args.quick)
    print(format_repair(done))
    return 0 if done.after.sound else DAMAGED


def _rebuild(args: argparse.Namespace) -> int:
    from trailguard.pipeline.lake.db import db_path
    from trailguard.pipeline.repair import rebuild_database

    if not db_path(args.lake).exists():
        raise FileNotFoundError(f"no database to rebuild at {db_path(args.lake)}")
    done = rebuild_database(args.lake, sources=args.source, endpoint_url=args.endpoint_url)
    print(format_rebuild(done))
    return 0


def format_check(found: LakeCheck) -> str:
    """What `check` found, for people."""
    head = (
        f"lake {found.lake}: {len(found.partitions):,} partitions, {found.files:,} files, "
        f"{found.events:,} events, {found.objects:,} objects with events in the state"
    )
    if found.sound:
        return f"{head}\nsound: every partition holds the events written to it"
    lines = [head]
    if found.tables:
        lines.append(
            f"the database is damaged: `trailguard check --rebuild-db --lake {found.lake}`"
        )
        lines += [f"  table {name}: {safe_line(error)}" for name, error in found.tables.items()]
    if found.damaged:
        lines.append(f"damaged: {len(found.damaged):,} partitions")
        lines += [f"  {p.folder}: {safe_line(p.problem or '')}" for p in found.damaged]
    if found.reread:
        lines.append(f"objects to read again: {len(found.reread):,}")
        listed = sorted(found.reread.items())[:LISTED]
        lines += [f"  {safe_line(uri)}: {why}" for uri, why in listed]
        if len(found.reread) > LISTED:
            lines.append(f"  ... and {len(found.reread) - LISTED:,} more")
    return "\n".join(lines)


def format_repair(done: Repair) -> str:
    """What `check --repair` did, for people."""
    if done.before.sound:
        return format_check(done.before)
    lines = [format_check(done.before), ""]
    if done.moved_to is not None:
        lines.append(f"moved {len(done.before.unreadable)} unreadable files to {done.moved_to}")
    for source, s in done.reread.items():
        lines.append(
            f"read again {safe_line(source)}: {s.objects:,} objects, {s.written:,} events "
            f"written back, {s.duplicates:,} already in the lake"
        )
    lines += [f"could not read {safe_line(s)}: {safe_line(e)}" for s, e in done.failed.items()]
    if done.after.sound:
        lines.append(f"repaired: {done.restored:,} events restored; the lake is sound")
        lines.append("next: `trailguard run` (or `features` then `detect`) sees them as new")
    else:
        lines += ["", "still damaged:", format_check(done.after), damage_advice(done.after.lake)]
    return "\n".join(lines)


def format_rebuild(done: Rebuild) -> str:
    """What `check --rebuild-db` did, for people."""
    from trailguard.pipeline.lake.recover import GROUPS

    lines = [f"moved the damaged database to {done.moved_to}"]
    for group in GROUPS:
        if done.salvaged.has(group):
            rows = sum(
                done.salvaged.tables[t].num_rows for t in GROUPS[group] if t in done.salvaged.tables
            )
            lines.append(f"{group}: {rows:,} rows salvaged from the {done.salvaged.origin[group]}")
        elif group == "ingest state":
            lines.append(f"{group}: rebuilt by reading the source again")
        else:
            why = done.salvaged.errors.get(group, "no backup")
            lines.append(f"{group}: lost ({safe_line(why)}; no readable backup)")
    for source, s in done.reread.items():
        lines.append(f"  read again {safe_line(source)}: {s.objects:,} objects, {s.written:,} new")
    lines.append(f"features: {done.features:,} windows computed again")
    if not done.salvaged.has("findings"):
        lines.append("next: `trailguard detect` finds the findings again (their history is lost)")
    return "\n".join(lines)
