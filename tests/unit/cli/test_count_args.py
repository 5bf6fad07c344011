"""Counts on the command line (`--baseline-days`) are checked by the parser: a zero or a
negative number is named with its option, not a traceback in the stage that uses it."""

from __future__ import annotations

import argparse

import pytest

from trailguard.pipeline.cli.args import at_least
from trailguard.pipeline.cli.main import main


def test_a_count_below_its_minimum_or_not_a_number_is_refused() -> None:
    days = at_least(1)
    assert days("14") == 14
    with pytest.raises(argparse.ArgumentTypeError, match="0 is too small: give 1 or more"):
        days("0")
    with pytest.raises(argparse.ArgumentTypeError, match="'two' is not a whole number"):
        days("two")


@pytest.mark.parametrize("command", ["train", "run"])
@pytest.mark.parametrize("value", ["0", "-3"])
def test_baseline_days_below_one_is_a_usage_error_naming_the_option(
    command: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main([command, "--lake", "/nonexistent", "--baseline-days", value])

    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert f"argument --baseline-days: {value} is too small: give 1 or more" in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["findings", "--limit", "-1"], "--limit"),
        (["demo", "--principals", "0"], "--principals"),
        (["demo", "--accounts", "0"], "--accounts"),
        (["synth", "--out", "/tmp/x", "--accounts", "0"], "--accounts"),
        (["synth", "--out", "/tmp/x", "--days", "0"], "--days"),
        (["ingest", "--source", "/tmp", "--max-object-bytes", "0"], "--max-object-bytes"),
    ],
)
def test_counts_and_sizes_that_would_hang_or_refuse_everything_are_usage_errors(
    argv: list[str], option: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as ended:
        main(argv)

    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert f"argument {option}: " in err and "Traceback" not in err
