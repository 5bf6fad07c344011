"""The lake's DuckDB file: short-lived connections, and a busy file as a clear, retried wait.

DuckDB lets one process hold a database file for writing. Every writer here opens the file for
one short transaction and closes it, so `trailguard query` and `duckdb <lake>/trailguard.duckdb`
can run between scheduled writes; whoever finds the file busy waits and retries with backoff,
logging that it waits, and fails with a clear message only after `timeout` seconds.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from trailguard.pipeline.retry import Backoff, log_first, retrying

log = logging.getLogger(__name__)

DB_NAME = "trailguard.duckdb"
# The oldest DuckDB whose storage format the lake's database is written in: the newest DuckDB
# CLI on PyPI (duckdb-cli 1.5.x) cannot open a file in a newer format (README: the lake).
STORAGE_VERSION = "v1.5.0"
DEFAULT_TIMEOUT = 120.0


class DatabaseBusy(RuntimeError):
    """The lake database stayed locked by another process for longer than the timeout."""


def db_path(lake: str | Path) -> Path:
    """Where the lake's database file is."""
    return Path(lake) / DB_NAME


@contextmanager
def open_db(
    lake: str | Path, *, read_only: bool = False, timeout: float = DEFAULT_TIMEOUT
) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the lake's database, closed on exit; waits while another process holds it."""
    path = db_path(lake)
    if read_only and not path.exists():
        raise FileNotFoundError(f"no trailguard database at {path}: run `trailguard ingest` first")
    connection = _connect_with_retry(path, read_only=read_only, timeout=timeout)
    try:
        yield connection
    finally:
        connection.close()


def _connect_with_retry(
    path: Path, *, read_only: bool, timeout: float
) -> duckdb.DuckDBPyConnection:
    """Connect; while another process holds the file, retry with jittered backoff (from 0.05 s,
    doubling to 2 s, times 1 to 2) until `timeout` seconds have passed."""
    policy = retrying(
        transient=_held_elsewhere,
        backoff=Backoff(first=0.05, cap=2.0, jitter=(1.0, 2.0)),
        deadline=time.monotonic() + timeout,
        on_retry=log_first(log, "waiting for %s: another process holds it", path),
    )
    try:
        return policy(_connect, path, read_only)
    except duckdb.IOException as exc:
        if not _held_elsewhere(exc):
            raise
        raise DatabaseBusy(
            f"{path} is held by another process (a running `trailguard` or an open "
            f"`duckdb` shell) for more than {timeout:.0f}s; close it and retry"
        ) from exc


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    created = not path.exists()
    # A new file is written in a storage format the DuckDB CLI of STORAGE_VERSION's line opens
    # (any DuckDB client, not only this package's), whatever newer library wrote it.
    config: dict[str, str | bool | int | float | list[str]] = {
        "storage_compatibility_version": STORAGE_VERSION
    }
    connection = duckdb.connect(str(path), read_only=read_only, config=config)
    if created:
        os.chmod(path, 0o600)  # audit data: owner-only
    connection.execute("SET TimeZone = 'UTC'")  # timestamps come back in UTC everywhere
    # The events view names its files relative to the lake (a copied or moved lake reads its
    # own files): relative paths resolve against the database file's folder.
    connection.execute(f"SET file_search_path = {sql_literal(str(path.parent.resolve()))}")
    return connection


def sql_literal(text: str) -> str:
    """`text` as a single-quoted SQL string literal (for DDL and SET, which take no parameters)."""
    return "'" + text.replace("'", "''") + "'"


def _held_elsewhere(error: BaseException) -> bool:
    """DuckDB's error for a database file another process holds: it names the lock."""
    return isinstance(error, duckdb.IOException) and "lock" in str(error).lower()
