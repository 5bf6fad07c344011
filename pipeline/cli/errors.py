"""How a failed command ends: one line on stderr and an exit code, never a traceback for a
mistake or a damaged lake, and never a credential or a terminal escape in what is printed.

| code | meaning |
|------|---------|
| 1    | a source or destination failed (S3 unreachable, an export refused, the lake's disk full) |
| 2    | a usage mistake: an option, a value, a folder that is not a lake, SQL DuckDB refuses |
| 65   | the lake or its database is damaged: `trailguard check` says what, and how to repair |
| 75   | another run holds the lake: try again later |
| 141  | the output's reader went away (piped to `head`): quietly, as other commands end then |

Log records pass through `SafeFormatter`: URL credentials (`http://KEY:SECRET@host`, `?token=`)
redacted and control characters shown as escapes, whatever logger they come from.
"""

from __future__ import annotations

import argparse
import errno
import logging
import os
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from trailguard.pipeline.ingest.ingest import StrictModeError
from trailguard.pipeline.lake.damage import LakeDamaged, damage_advice, parquet_error
from trailguard.pipeline.lake.db import DatabaseBusy
from trailguard.pipeline.lake.lock import LakeLocked
from trailguard.pipeline.lake.recover import DatabaseDamaged, damaged_db_message, is_damaged_db
from trailguard.pipeline.report.terminal import printable
from trailguard.pipeline.urls import redact_url

Command = Callable[[argparse.Namespace], int]
USAGE, DAMAGED, BUSY, FAILED = 2, 65, 75, 1  # sysexits: EX_USAGE-like, EX_DATAERR, EX_TEMPFAIL
PIPE_CLOSED = 128 + 13  # a shell's code for a command ended by SIGPIPE
# DuckDB's "Table with name X does not exist!" for a table a stage creates, and what to run.
MISSING_TABLES = {
    "events": "the lake holds no events yet: run `trailguard ingest --source ...` first",
    "features": "the lake has no features yet: run `trailguard features` (after `ingest`)",
    "findings": "the lake has no findings yet: run `trailguard detect` first",
}
# A write the machine refused, not a mistake: by errno, and in DuckDB's words (its IO and
# transaction errors carry the OS's text, not the errno).
FULL = {
    errno.ENOSPC: "No space left on device",
    errno.EDQUOT: "Disk quota exceeded",
    errno.EFBIG: "File too large",
    errno.EROFS: "Read-only file system",
}


def safe_line(text: str) -> str:
    """`text` as one printable line: lines joined, credentials redacted, controls escaped."""
    lines = [line.strip() for line in str(text).splitlines()]
    kept = [line for line in lines if line and not line.startswith("LINE ") and set(line) != {"^"}]
    return printable(redact_url(" ".join(kept)))


def fail(message: str, code: int) -> int:
    """Print `trailguard: message` as one safe line on stderr; return `code`."""
    print(f"trailguard: {safe_line(message)}", file=sys.stderr)
    return code


def run_command(command: Command, args: argparse.Namespace) -> int:
    """Run a subcommand; what it raises becomes one line and an exit code (module docstring)."""
    try:
        return command(args)
    except BrokenPipeError:  # `| head` has what it wanted: no traceback, no second one at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return PIPE_CLOSED
    except Exception as exc:
        explained = explain(exc, Path(getattr(args, "lake", None) or "."))
        if explained is None:
            raise
        return fail(*explained)


def explain(error: Exception, lake: Path) -> tuple[str, int] | None:
    """The message and exit code of an error a user can act on, or None (a bug: traceback)."""
    if isinstance(error, LakeDamaged | DatabaseDamaged):
        return str(error), DAMAGED
    if _refused_write(error):
        return _write_refused(error, lake), FAILED
    if isinstance(error, duckdb.Error | pa.ArrowException):  # before ValueError: Arrow's are
        return _explain_data(error, lake)
    if isinstance(error, StrictModeError | FileNotFoundError | NotADirectoryError | ValueError):
        return str(error), USAGE
    if isinstance(error, _aws_errors()):  # S3 unreachable or refusing, after retries
        return f"AWS request failed: {error}; nothing was marked as read", FAILED
    if isinstance(error, DatabaseBusy | LakeLocked):  # another run holds the lake: retry later
        return str(error), BUSY
    return None


def _explain_data(error: Exception, lake: Path) -> tuple[str, int] | None:
    if is_damaged_db(error):
        return damaged_db_message(lake, error), DAMAGED
    if parquet_error(error):
        reason = safe_line(str(error))[:200]
        advice = damage_advice(lake)
        return f"the lake {lake} is damaged: a Parquet file cannot be read ({reason}); {advice}", (
            DAMAGED
        )
    if isinstance(error, duckdb.CatalogException):
        for table, advice in MISSING_TABLES.items():
            if f"Table with name {table} does not exist" in str(error):
                return f"{advice} (lake {lake})", USAGE
    return None


def _refused_write(error: Exception) -> bool:
    """Whether `error` is the machine refusing a write: a full disk, a quota, a file size limit,
    a read-only file system."""
    if isinstance(error, OSError) and error.errno in FULL:
        return True
    text = str(error)
    return isinstance(error, duckdb.Error) and any(words in text for words in FULL.values())


def _write_refused(error: Exception, lake: Path) -> str:
    """One line for a refused write: what, where, and that a rerun once there is room loses
    nothing (ingest commits an object as read only after its rows are in the lake; the other
    stages commit in transactions)."""
    if isinstance(error, OSError) and error.errno in FULL:
        where = f" writing {error.filename}" if error.filename else ""
        reason = f"{FULL[error.errno]}{where}"
    else:
        reason = safe_line(str(error))[:200]
    return (
        f"could not write to the lake {lake} ({reason}): free some space (or give another "
        "--lake) and run the command again; nothing committed is lost and what was not is "
        "read again"
    )


def _aws_errors() -> tuple[type[Exception], ...]:
    """botocore's request errors, once botocore is loaded: until then no exception can be one
    (and a command that never speaks to AWS does not import it)."""
    exceptions = sys.modules.get("botocore.exceptions")
    return (exceptions.BotoCoreError, exceptions.ClientError) if exceptions else ()


class SafeFormatter(logging.Formatter):
    """A formatter whose output (message, arguments and traceback) carries no URL credential
    and no control character but line breaks."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as `logging.Formatter` formats it, made safe."""
        return printable(redact_url(super().format(record)), keep_lines=True)


def install_safe_logging(verbose: bool, quiet_loggers: tuple[str, ...]) -> None:
    """Log to stderr through `SafeFormatter`; `quiet_loggers` (HTTP libraries, which print
    request headers at DEBUG: session tokens, key ids) stay at INFO or above."""
    logging.basicConfig(level=logging.DEBUG if verbose else logging.WARNING)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.setFormatter(SafeFormatter("%(levelname)s %(name)s: %(message)s"))
    for name in quiet_loggers:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
