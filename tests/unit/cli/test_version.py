"""`trailguard --version`: the installed package's version, as pip reports it."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata

import pytest

from trailguard.pipeline.cli.main import main


def test_version_prints_the_installed_version_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["--version"])

    assert exit_.value.code == 0
    assert capsys.readouterr().out == f"trailguard {metadata.version('trailguard')}\n"


def test_the_console_script_answers_version_without_a_subcommand() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "trailguard.pipeline.cli.main", "--version"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0
    assert done.stdout.strip() == f"trailguard {metadata.version('trailguard')}"
