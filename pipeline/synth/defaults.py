"""The generator's defaults, apart from the generator: the command line shows them in its
help without importing the whole synthetic organisation (every command builds the parser)."""

from __future__ import annotations

from datetime import UTC, datetime

DEFAULT_START = datetime(2026, 10, 1, tzinfo=UTC)
DEFAULT_DAYS = 21
DEFAULT_ACCOUNTS = 6
DEFAULT_PRINCIPALS = 180
DEFAULT_SEED = 7
