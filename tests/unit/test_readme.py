"""The README is the user's manual: it must not drift from the code it documents."""

from __future__ import annotations

from pathlib import Path

from trailguard.pipeline.lake.schema import COLUMNS

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


def test_the_readme_opens_with_the_demo_and_the_test_commands() -> None:
    first_block = README.split("```")[1]
    assert "pip install -e . && trailguard demo" in first_block
    assert 'pip install -e ".[dev]" && pytest' in first_block


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert 'pip install -e ".[dev]" && pytest' in ci


def test_every_lake_column_is_documented_with_its_meaning() -> None:
    for name, _, meaning in COLUMNS:
        assert f"| `{name}` |" in README, name
        assert meaning.split(" (")[0].split(";")[0] in README, name
