"""A failed command ends in one safe line and an exit code that says what kind of failure."""

from __future__ import annotations

import argparse
import contextlib
import io
import logging
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from trailguard.pipeline.cli.errors import SafeFormatter, explain, run_command, safe_line
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.lake.damage import LakeDamaged

LAKE = Path("/srv/lake")


def outcome(error: Exception) -> tuple[int, str]:
    def command(args: argparse.Namespace) -> int:
        raise error

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = run_command(command, argparse.Namespace(lake=LAKE))
    return code, err.getvalue()


def test_credentials_in_a_url_never_reach_the_message() -> None:
    code, err = outcome(ValueError('cannot reach "http://AKIAKEY:s3cr3t@minio:9000/bucket"'))
    assert code == 2 and "s3cr3t" not in err and "AKIAKEY" not in err
    assert "http://***@minio:9000/bucket" in err


def test_a_message_is_one_line_without_terminal_escapes() -> None:
    code, err = outcome(ValueError("no finding 'x\x1b[2J'\nLINE 1: select\n       ^"))
    assert code == 2
    assert err == "trailguard: no finding 'x\\x1b[2J'\n"


def test_a_damaged_database_is_exit_65_with_the_recovery_command() -> None:
    code, err = outcome(duckdb.IOException("IO Error: not a valid DuckDB database file!"))
    assert code == 65 and "check --rebuild-db --lake /srv/lake" in err


def test_an_unreadable_parquet_file_is_exit_65_with_check_s_advice() -> None:
    error = pa.ArrowInvalid("Parquet magic bytes not found in footer.")
    code, err = outcome(error)
    assert code == 65
    assert err.startswith("trailguard: the lake /srv/lake is damaged: a Parquet file cannot")
    assert "trailguard check --repair --lake /srv/lake" in err and err.count("\n") == 1


def test_a_damaged_lake_found_by_a_command_is_exit_65() -> None:
    assert outcome(LakeDamaged("the lake is damaged"))[0] == 65


@pytest.mark.parametrize(
    ("table", "advice"),
    [("features", "run `trailguard features`"), ("events", "run `trailguard ingest")],
)
def test_a_table_a_stage_creates_is_missing_says_which_stage(table: str, advice: str) -> None:
    error = duckdb.CatalogException(f"Catalog Error: Table with name {table} does not exist!")
    message, code = explain(error, LAKE) or ("", 0)
    assert code == 2 and advice in message


def test_an_error_nobody_can_act_on_stays_a_traceback() -> None:
    with pytest.raises(KeyError):
        outcome(KeyError("a bug"))  # type: ignore[arg-type]


def test_safe_line_joins_lines_and_drops_duckdb_s_caret_lines() -> None:
    text = "Binder Error: column x not found\nDid you mean y?\n\nLINE 1: select x\n       ^"
    assert safe_line(text) == "Binder Error: column x not found Did you mean y?"


def test_log_records_are_redacted_and_escaped_whatever_their_logger() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(SafeFormatter("%(message)s"))
    log = logging.getLogger("tests.safe")
    log.addHandler(handler)
    try:
        log.error("GET %s failed for %s", "https://u:pw@host/x?token=abc", "ua\x1b]2;t\x07")
    finally:
        log.removeHandler(handler)
    assert stream.getvalue() == "GET https://***@host/x?token=*** failed for ua\\x1b]2;t\\x07\n"


def test_a_bad_setting_in_the_environment_is_one_line_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRAILGUARD_BASELINE_DAYS", "two weeks")

    code = main(["findings"])

    assert code == 2
    assert capsys.readouterr().err == (
        "trailguard: TRAILGUARD_BASELINE_DAYS='two weeks' is not a valid baseline_days\n"
    )
