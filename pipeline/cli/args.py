"""Arguments every `trailguard` subcommand shares, defined once, and the checks of a `--lake`
a command makes before it reads it."""

from __future__ import annotations

import argparse
import functools
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from trailguard.pipeline.config import DEFAULTS, parse_paths, parse_size, settings, variable
from trailguard.pipeline.lake.db import DB_NAME

Command = Callable[[argparse.Namespace], int]
TIME_FORMAT = "ISO 8601 in UTC unless a zone is given, e.g. 2024-05-01 or 2024-05-01T13:30:00Z"


def add_lake_arg(parser: argparse.ArgumentParser) -> None:
    """`--lake DIR`, defaulting to $TRAILGUARD_LAKE, else ./lake (as the flows and Docker do)."""
    parser.add_argument(
        "--lake",
        type=Path,
        default=settings().lake,
        help=f"lake folder (${variable('lake')}, else ./{DEFAULTS.lake})",
    )


def add_baseline_arg(parser: argparse.ArgumentParser) -> None:
    """`--baseline-days`: the days of feature windows the model learns normal behaviour from."""
    days = settings().baseline_days
    parser.add_argument(
        "--baseline-days",
        type=at_least(1),
        default=days,
        help=f"days of history the model learns from (${variable('baseline_days')}, else {days})",
    )


def add_budget_arg(parser: argparse.ArgumentParser) -> None:
    """`--budget`: alerts an analyst reads per 100 principals per day
    (`pipeline.evaluation.matrix`)."""
    from trailguard.pipeline.evaluation.matrix import DEFAULT_BUDGET

    parser.add_argument(
        "--budget",
        type=float,
        default=DEFAULT_BUDGET,
        help=f"alerts read per 100 principals per day ({DEFAULT_BUDGET:g})",
    )


def add_sigma_args(parser: argparse.ArgumentParser) -> None:
    """`--sigma DIR` (repeatable, or a path list) and `--no-sigma`: the Sigma rules detection
    runs, by default $TRAILGUARD_SIGMA_RULES, else the bundled SigmaHQ CloudTrail pack."""
    folders = ":".join(settings().sigma_rules) or "none"
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--sigma",
        action="append",
        metavar="DIR",
        help="folder of Sigma rules to run, instead of the default; repeatable, or a path list "
        "(`bundled`: SigmaHQ's CloudTrail rules of level medium and above; `bundled-all`: all "
        f"of them) (${variable('sigma_rules')}, else {folders})",
    )
    group.add_argument("--no-sigma", action="store_true", help="run no Sigma rules")


def sigma_folders(args: argparse.Namespace) -> tuple[str, ...]:
    """The Sigma rule folders of `add_sigma_args`' options (`bundled`: the bundled pack)."""
    if args.no_sigma:
        return ()
    if not args.sigma:
        return settings().sigma_rules
    return tuple(folder for given in args.sigma for folder in parse_paths(given))


def at_least(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number no smaller than `minimum` (a count of days, of rows),
    refused by the parser with the option's name, not a traceback in the stage that uses it."""

    def whole_number(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: give {minimum} or more")
        return value

    whole_number.__name__ = f"a whole number of at least {minimum}"
    return whole_number


def size(text: str) -> int:
    """An argparse type: a size in bytes (`16M`, `256MiB`), refused with the reason."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def utc_time(text: str) -> datetime:
    """An ISO 8601 time from the command line; a time without a zone is UTC."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time: use {TIME_FORMAT}") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def is_lake(folder: Path) -> bool:
    """Whether `folder` is a trailguard lake (it holds the lake's database)."""
    return (folder / DB_NAME).is_file()


def require_lake(folder: Path) -> None:
    """Refuse a `--lake` that is not a lake, with what to do instead (a mistyped path or a
    forgotten `--lake` must not become an empty lake)."""
    if is_lake(folder):
        return
    where = folder.absolute()
    what = f"no lake at {where}" if not folder.exists() else f"{where} is not a trailguard lake"
    raise NotADirectoryError(
        f"{what} (no {DB_NAME}): give the lake with --lake DIR (or ${variable('lake')}); "
        "`trailguard ingest --source ... --lake DIR` creates one"
    )


def reads_lake(command: Command) -> Command:
    """A command that reads an existing lake: it refuses a `--lake` that is not one."""

    @functools.wraps(command)
    def checked(args: argparse.Namespace) -> int:
        require_lake(args.lake)
        return command(args)

    return checked


def require_sound_lake(folder: Path) -> None:
    """Refuse a lake whose ledger names partitions that are gone (a quick look: `trailguard
    check` reads every file); a folder that is not a lake yet passes."""
    from trailguard.pipeline.lake.check import missing_partitions
    from trailguard.pipeline.lake.damage import LakeDamaged, damage_advice
    from trailguard.pipeline.lake.db import open_db

    if not is_lake(folder):
        return
    with open_db(folder, read_only=True) as con:
        missing = missing_partitions(folder, con)
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise LakeDamaged(
            f"the lake {folder} is damaged: {missing[0]}{more} is gone though events were "
            f"written there; {damage_advice(folder)}"
        )


def reads_sound_lake(command: Command) -> Command:
    """A command that reads an existing lake's events: it refuses a `--lake` that is not a
    lake, or one whose partitions are gone."""

    @functools.wraps(command)
    def checked(args: argparse.Namespace) -> int:
        require_lake(args.lake)
        require_sound_lake(args.lake)
        return command(args)

    return checked


@contextmanager
def new_lake_removed_on_failure(folder: Path) -> Iterator[None]:
    """Around a command that may create the lake (ingest, run): if it fails, whatever it created
    goes (the folder, or what it added to an empty one), so a mistake leaves no empty lake."""
    created = not folder.exists()
    before = set() if created else {p.name for p in folder.iterdir()} if folder.is_dir() else None
    new = before is not None and not (before & {DB_NAME})
    try:
        yield
    except BaseException:
        if new:
            _remove_new(folder, created, before or set())
        raise


def _remove_new(folder: Path, created: bool, before: set[str]) -> None:
    if created:
        shutil.rmtree(folder, ignore_errors=True)
        return
    for path in folder.iterdir() if folder.is_dir() else ():
        if path.name not in before:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
