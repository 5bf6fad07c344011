"""The command line: options taken only as spelled, mistakes named, every option explained."""

from __future__ import annotations

import argparse

import pytest

from trailguard.pipeline.cli.main import build_parser, main


def test_a_mistyped_option_is_named_with_the_closest_one(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["ingest", "--sources", "s3://trail", "--lake", "lake"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert "unrecognized option --sources (did you mean --source?)" in err
    assert "required" not in err


def test_an_abbreviated_option_is_refused_not_guessed(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["ingest", "--sour", "s3://trail"])
    assert "unrecognized option --sour (did you mean --source?)" in capsys.readouterr().err


def test_an_unknown_status_is_refused_with_the_choices(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["findings", "--status", "open"])
    err = capsys.readouterr().err
    assert "invalid choice: 'open'" in err and "'active', 'archived', 'all'" in err


def test_a_time_that_is_not_iso_8601_is_refused_with_the_format(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["detect", "--since", "yesterday"])
    err = capsys.readouterr().err
    assert "'yesterday' is not a time: use ISO 8601" in err and "2024-05-01T13:30:00Z" in err


def test_the_help_describes_trailguard_to_its_users(capsys: pytest.CaptureFixture[str]) -> None:
    text = build_parser().format_help()
    assert "CloudTrail" in text and "trailguard demo" in text
    assert "thin" not in text and "flows" not in text


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    [action] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_option_of_every_command_has_help() -> None:
    missing = [
        f"{name} {action.option_strings[0]}"
        for name, sub in _subcommands().items()
        for action in sub._actions
        if action.option_strings and not action.help
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("command", "option"),
    [("train", "--now"), ("findings", "--limit"), ("demo", "--days"), ("demo", "--seed")],
)
def test_options_the_tester_found_bare_now_say_what_they_do(command: str, option: str) -> None:
    sub = _subcommands()[command]
    [action] = [a for a in sub._actions if option in a.option_strings]
    assert action.help and len(action.help) > 10
