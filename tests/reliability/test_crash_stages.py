"""SIGKILL during detection and during export, then rerun: the same findings, every one delivered.

Detection and export have no crash points of their own: `launch.py` kills the run when a named
function of `pipeline` is entered for the n-th time (by wrapping it), so the points sit exactly
where a crash hurts most: findings computed but not stored, an upsert transaction half done, a
batch delivered but the cursor not moved.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import duckdb
import pytest

from tests.reliability.harness import run_trailguard
from trailguard.pipeline.ingest.ingest import ingest

pytestmark = pytest.mark.slow

# The suite runs one or two points per stage; bench/reliability.py runs more.
DETECT_POINTS = [
    "_params:4",  # inside the upsert transaction: three findings written, not committed
]
EXPORT_POINTS = [
    "_advance:2",  # a second batch delivered, its cursor move not committed
    "load_findings:3",  # two batches delivered and committed, the third not read
]
EXPORT_BATCH = "3"


@pytest.fixture(scope="module")
def ingested(samples: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A lake of the real samples (their rule findings are what detection finds)."""
    lake = tmp_path_factory.mktemp("ingested") / "lake"
    ingest(str(samples), lake, workers=1)
    return lake


@pytest.fixture(scope="module")
def detected(ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same lake after one uninterrupted detection."""
    lake = copy_lake(ingested, tmp_path_factory.mktemp("detected"))
    assert run_trailguard(["detect", "--lake", str(lake)]).returncode == 0
    return lake


@pytest.fixture(scope="module")
def exported(detected: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """An uninterrupted export of `detected`: (its lake, the finding versions delivered)."""
    lake = copy_lake(detected, tmp_path_factory.mktemp("exported"))
    out = tmp_path_factory.mktemp("out")
    assert run_trailguard(export_args(lake, out)).returncode == 0
    return lake, delivered(out)


def copy_lake(lake: Path, into: Path) -> Path:
    return Path(shutil.copytree(lake, into / "lake"))


def export_args(lake: Path, out: Path) -> list[str]:
    return ["export", "--to", f"ndjson:{out}", "--lake", str(lake), "--batch-size", EXPORT_BATCH]


def findings(lake: Path) -> list[tuple[Any, ...]]:
    """Findings without their bookkeeping times and revision counters."""
    with duckdb.connect(str(lake / "trailguard.duckdb"), read_only=True) as con:
        return con.execute(
            "SELECT * EXCLUDE (created_at, updated_at, revision) FROM findings ORDER BY finding_id"
        ).fetchall()


def cursor(lake: Path) -> list[int]:
    """The export cursor (one destination per lake here)."""
    with duckdb.connect(str(lake / "trailguard.duckdb"), read_only=True) as con:
        return [r for (r,) in con.execute("SELECT revision FROM export_cursors").fetchall()]


def delivered(out: Path) -> set[str]:
    """`<finding id>:v<version>` of every line delivered (a resent line counts once)."""
    lines = [line for f in sorted(out.rglob("*.ndjson")) for line in f.read_text().splitlines()]
    return {json.loads(line)["metadata"]["uid"] for line in lines}


def test_detection_finds_something_to_crash_on(detected: Path) -> None:
    assert len(findings(detected)) > 4


@pytest.mark.parametrize("point", DETECT_POINTS)
def test_detection_killed_and_rerun_stores_the_findings_of_an_unbroken_run(
    point: str, ingested: Path, detected: Path, tmp_path: Path
) -> None:
    lake = copy_lake(ingested, tmp_path)

    assert run_trailguard(["detect", "--lake", str(lake)], crash_call=point).killed, point
    assert run_trailguard(["detect", "--lake", str(lake)]).returncode == 0

    assert findings(lake) == findings(detected)


@pytest.mark.parametrize("point", EXPORT_POINTS)
def test_export_killed_and_rerun_delivers_every_finding_and_ends_at_the_same_cursor(
    point: str, detected: Path, exported: tuple[Path, set[str]], tmp_path: Path
) -> None:
    unbroken_lake, unbroken_delivery = exported
    lake, out = copy_lake(detected, tmp_path), tmp_path / "out"

    assert run_trailguard(export_args(lake, out), crash_call=point).killed, point
    assert run_trailguard(export_args(lake, out)).returncode == 0

    assert delivered(out) == unbroken_delivery
    assert cursor(lake) == cursor(unbroken_lake)
    lines = [x for f in out.rglob("*.ndjson") if not f.name.startswith(".") for x in f.open()]
    assert len(lines) == len(unbroken_delivery)  # a resent batch replaced its file, no copy


def test_an_export_killed_between_write_and_rename_leaves_no_partial_file(
    detected: Path, exported: tuple[Path, set[str]], tmp_path: Path
) -> None:
    lake, out = copy_lake(detected, tmp_path), tmp_path / "out"

    assert run_trailguard(export_args(lake, out), crash_call="os.replace:2").killed
    assert run_trailguard(export_args(lake, out)).returncode == 0

    assert delivered(out) == exported[1]
    assert [p.name for p in out.rglob(".*")] == []
