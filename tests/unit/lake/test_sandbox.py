"""`trailguard query` reads the lake and nothing else, and writes nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from trailguard.pipeline.lake.sandbox import QueryRefused, lock_down, refuse_writes


@pytest.fixture
def lake(tmp_path: Path) -> Path:
    (tmp_path / "events").mkdir()
    duckdb.sql(f"COPY (SELECT 42 AS n) TO '{tmp_path}/events/part.parquet'")
    return tmp_path


@pytest.fixture
def con(lake: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    lock_down(connection, lake)
    return connection


@pytest.mark.parametrize(
    ("sql", "verb"),
    [
        ("COPY (SELECT 1) TO 'out.csv'", "COPY"),
        ("ATTACH 'other.duckdb'", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("EXPORT DATABASE 'dump'", "EXPORT"),
        ("SET enable_external_access = true", "SET"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("CREATE TABLE t AS SELECT 1", "CREATE"),
        ("-- a comment first\nCOPY (SELECT 1) TO 'x'", "COPY"),
        ("SELECT 1; COPY (SELECT 1) TO 'x'", "COPY"),
    ],
)
def test_anything_but_a_select_is_refused_naming_the_statement(
    con: duckdb.DuckDBPyConnection, sql: str, verb: str
) -> None:
    refused = f"read-only: it runs SELECT statements only, not {verb}$"
    with pytest.raises(QueryRefused, match=refused):
        refuse_writes(con, sql)


@pytest.mark.parametrize(
    "sql",
    ["SELECT 1", "WITH a AS (SELECT 1) SELECT * FROM a", "DESCRIBE SELECT 1", "FROM range(3)"],
)
def test_selects_pass(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    refuse_writes(con, sql)


def test_the_lake_s_own_files_can_be_read(con: duckdb.DuckDBPyConnection, lake: Path) -> None:
    rows = con.execute(f"SELECT n FROM read_parquet('{lake}/events/*.parquet')").fetchall()
    assert rows == [(42,)]


def test_no_other_file_can_be_read(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(duckdb.PermissionException):
        con.execute("SELECT * FROM read_csv('/etc/passwd')")


def test_even_a_copy_that_got_past_the_statement_check_could_write_nowhere_outside_the_lake(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"COPY (SELECT 1) TO '{tmp_path}/outside.csv'")
    assert not (tmp_path / "outside.csv").exists()


def test_the_lock_down_cannot_be_undone(con: duckdb.DuckDBPyConnection) -> None:
    for setting in ("enable_external_access = true", "lock_configuration = false"):
        with pytest.raises(duckdb.InvalidInputException, match="locked"):
            con.execute(f"SET {setting}")
