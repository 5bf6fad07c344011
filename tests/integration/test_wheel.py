"""The wheel, installed as a user installs it (`pip install .`, not editable), runs from any folder:
its SQL is package data, and its modules are `trailguard.*`, never a bare `pipeline` or `models`."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "data" / "cloudtrail" / "flaws2-cloud-defender"

pytestmark = pytest.mark.slow
# What a checkout holds beside the source, at any depth: version control, caches, build output.
NOT_SOURCE = (".git", "build", "dist", "*.egg-info", "__pycache__", ".*_cache")
# ... and at its top only: lakes and demo folders a developer made there.
LOCAL_RUNS = ("lake", "demo-lake", "trailguard-demo", "trailguard-eval")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel built from a copy of this checkout (setuptools writes `build/` and `*.egg-info`
    into the tree it builds: never into the checkout, where two runs would share them)."""
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("source") / "trailguard"
    shutil.copytree(REPO, source, ignore=_not_source)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
        check=True,
    )
    return next(out.glob("trailguard-*.whl"))


def _not_source(folder: str, names: list[str]) -> set[str]:
    ignored = set(shutil.ignore_patterns(*NOT_SOURCE)(folder, names))
    return ignored | (set(LOCAL_RUNS) & set(names) if Path(folder) == REPO else set())


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A virtualenv with the wheel installed (its dependencies from this interpreter's site)."""
    env = tmp_path_factory.mktemp("venv")
    venv.create(env, system_site_packages=True, with_pip=False, symlinks=True)
    python = env / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", str(wheel)],
        check=True,
    )
    return env


def test_the_wheel_holds_sql_real_incidents_and_only_trailguard_packages(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith("-info")}

    assert tops == {"trailguard"}
    assert "trailguard/sql/views/events.sql" in names
    assert "trailguard/sql/reference/api_categories.csv" in names
    assert any(name.startswith("trailguard/sql/features/") for name in names)
    incidents = "trailguard/pipeline/synth/incidents/"
    assert f"{incidents}README.md" in names  # the real incidents, with their provenance
    assert sum(n.startswith(incidents) and n.endswith(".json.gz") for n in names) == 3


def test_the_installed_command_ingests_and_lists_findings_from_any_folder(
    installed: Path, tmp_path: Path
) -> None:
    where = subprocess.run(
        [
            str(installed / "bin" / "python"),
            "-c",
            "import trailguard.pipeline as p; print(p.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    trailguard = str(installed / "bin" / "trailguard")
    lake = tmp_path / "lake"

    ingest = subprocess.run(
        [trailguard, "ingest", "--source", str(SAMPLE), "--lake", str(lake)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    detect = subprocess.run(
        [trailguard, "detect", "--lake", str(lake)], cwd=tmp_path, capture_output=True, text=True
    )
    findings = subprocess.run(
        [trailguard, "query", "select count(*) as n from events", "--lake", str(lake)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )

    assert where.startswith(str(installed)), where
    assert ingest.returncode == 0, ingest.stderr
    assert re.search(r"^events written +37$", ingest.stdout, re.M), ingest.stdout
    assert detect.returncode == 0, detect.stderr
    assert findings.returncode == 0, findings.stderr
    assert re.search(r"^ *37 *$", findings.stdout, re.M), findings.stdout
