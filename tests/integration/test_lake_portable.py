"""A lake is a folder any DuckDB client can open, and that can be copied, moved or restored: its
database is in a storage format the DuckDB CLI reads, its view names files relative to the lake,
and an account id stays text."""

from __future__ import annotations

import gzip
import importlib.util
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.cli.main import main as trailguard

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "cloudtrail" / "flaws2-cloud-defender"


def _duckdb_cli() -> Path:
    """The `duckdb` shell of the duckdb-cli package (a dev dependency)."""
    spec = importlib.util.find_spec("duckdb_cli")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("duckdb-cli is not installed: pip install -e '.[dev]'")
    return Path(next(iter(spec.submodule_search_locations))) / "duckdb"


def _cli_rows(lake: Path, sql: str) -> list[list[str]]:
    """`sql` run by the DuckDB CLI on the lake's database, started in the lake's folder."""
    done = subprocess.run(
        [str(_duckdb_cli()), "-csv", "-noheader", "trailguard.duckdb", "-c", sql],
        cwd=lake,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return [line.split(",") for line in done.stdout.splitlines()]


def _query(lake: Path, sql: str, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert trailguard(["query", sql, "--lake", str(lake), "--format", "csv"]) == 0
    return capsys.readouterr().out


@pytest.fixture()
def lake(tmp_path: Path) -> Path:
    """A lake of the real flaws2 sample (37 events) with its findings."""
    lake = tmp_path / "lake"
    assert trailguard(["ingest", "--source", str(SAMPLE), "--lake", str(lake)]) == 0
    assert trailguard(["detect", "--lake", str(lake)]) == 0
    return lake


def test_the_duckdb_cli_opens_the_lakes_database(lake: Path) -> None:
    assert _cli_rows(lake, "select count(*) from events") == [["37"]]
    assert _cli_rows(lake, "select count(*) > 0 from ingest_state") == [["true"]]


def test_a_copied_lake_reads_its_own_files_after_the_original_is_gone(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(lake, tmp_path / "restored")
    shutil.rmtree(lake)

    assert _query(copy, "select count(*) as n from events", capsys).split() == ["n", "37"]
    assert _cli_rows(copy, "select count(*) from events") == [["37"]]


def test_a_copy_never_reads_the_original_lakes_files(
    lake: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = shutil.copytree(lake, tmp_path / "copy")
    for parquet in (copy / "events").rglob("*.parquet"):
        if "account_id=653711331788" not in str(parquet):
            parquet.unlink()  # the copy keeps one account's files, the original all of them

    counted = _query(copy, "select count(distinct account_id) as n from events", capsys)

    assert counted.split() == ["n", "1"]


def test_an_account_id_keeps_its_leading_zero(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    trail = tmp_path / "trail" / "AWSLogs" / "012345678901" / "CloudTrail" / "us-east-1"
    day = trail / "2026" / "10" / "05"
    day.mkdir(parents=True)
    record = cloudtrail_event(
        recipientAccountId="012345678901", userIdentity__accountId="012345678901"
    )
    name = "012345678901_CloudTrail_us-east-1_20261005T1405Z_abcdefghijklmnop.json.gz"
    (day / name).write_bytes(gzip.compress(json.dumps({"Records": [record]}).encode()))
    lake = tmp_path / "lake"
    assert trailguard(["ingest", "--source", str(tmp_path / "trail"), "--lake", str(lake)]) == 0

    typed = _query(lake, "select account_id, typeof(account_id) as t from events", capsys)

    assert typed.split() == ["account_id,t", "012345678901,VARCHAR"]
    assert _cli_rows(lake, "select account_id from events") == [["012345678901"]]
