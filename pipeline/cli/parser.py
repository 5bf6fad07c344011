"""The `trailguard` argument parser: no abbreviated options, and a mistyped one named as such.

argparse accepts `--sour` for `--source` (a later option sharing the prefix would change what an
old script means), and reports `--sources x` as "the following arguments are required:
--source", since it checks required options before it complains about unknown ones. This parser
takes options only as spelled, and names an unknown option first, with the closest known one.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Sequence
from typing import Any


class Parser(argparse.ArgumentParser):
    """`argparse.ArgumentParser` without abbreviations, naming unknown options (and its
    subcommands' parsers are of this class too: argparse makes them of the parent's type)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        """argparse's, after refusing any option this parser does not know."""
        if args is not None:
            unknown = self.unknown_option(args)
            if unknown is not None:
                self.error(unknown)
        return super().parse_known_args(args, namespace)

    def unknown_option(self, args: Sequence[str]) -> str | None:
        """The message for the first long option in `args` this parser does not know (up to
        its subcommand's name, if it has subcommands), or None."""
        commands = self._subcommands()
        for token in args:
            if token == "--" or token in commands:
                return None
            name = token.split("=", 1)[0]
            if token.startswith("--") and name not in self._option_string_actions:
                return f"unrecognized option {name}{suggestion(name, self.long_options())}"
        return None

    def long_options(self) -> list[str]:
        """Every `--option` of this parser."""
        return [o for o in self._option_string_actions if o.startswith("--")]

    def _subcommands(self) -> set[str]:
        if self._subparsers is None:
            return set()
        return {
            name
            for action in self._subparsers._group_actions
            if isinstance(action, argparse._SubParsersAction)
            for name in action.choices
        }


def suggestion(name: str, known: Sequence[str]) -> str:
    """` (did you mean --x?)` for the closest of `known` to `name`, or nothing."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""
