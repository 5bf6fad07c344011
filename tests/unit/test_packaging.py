"""What a clone and a wheel must hold: every package listed for the wheel, the SQL inside it, and
no path outside the repository (a user's clone has nothing beside it)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
INSTALLED_AS = {"pipeline": "trailguard.pipeline", "models": "trailguard.models"}
INSTALLED_AS |= {"flows": "trailguard.flows", "sql": "trailguard.sql"}


def _listed_packages() -> set[str]:
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    return set(config["tool"]["setuptools"]["packages"])


def _package_folders() -> set[str]:
    """Every folder of the installed trees that holds Python code, as its installed name."""
    found = set()
    for folder, name in INSTALLED_AS.items():
        for init in (REPO / folder).rglob("__init__.py"):
            relative = init.parent.relative_to(REPO / folder).parts
            found.add(".".join([name, *relative]))
    return found


def test_every_package_folder_is_listed_for_the_wheel() -> None:
    assert _package_folders() - _listed_packages() == set()


def test_every_folder_of_python_modules_is_a_package() -> None:
    loose = [
        path.parent
        for folder in ("pipeline", "models", "flows")
        for path in (REPO / folder).rglob("*.py")
        if not (path.parent / "__init__.py").is_file()
    ]
    assert loose == []


def test_nothing_tracked_reads_a_path_beside_the_clone() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    beside = re.compile(r"\.\./shared|parents?\W.*[\"']shared[\"/]|\.parent\s*/\s*[\"']shared")
    offenders = [
        name
        for name in tracked
        if name.endswith((".py", ".toml", ".yaml", ".cfg")) or name.startswith(".ci/")
        if beside.search((REPO / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert offenders == []
