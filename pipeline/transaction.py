"""One DuckDB transaction as a context manager, for every stage (outside the layers: it knows
nothing of any of them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """`con` inside one transaction: committed on exit, rolled back on an error. A COMMIT that
    fails (a full disk: the WAL cannot be written) has ended the transaction already, so its
    error is raised as it is, not hidden behind "cannot rollback - no transaction is active"."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
