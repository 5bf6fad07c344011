"""Locate and read the project's `.sql` files: the `trailguard.sql` package data (`sql/` in a
checkout)."""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

# A wheel installs the SQL as files beside the code (setuptools never zips it), so a Path works.
SQL_DIR = Path(str(resources.files("trailguard.sql")))


@cache
def read_sql(relative: str) -> str:
    """Text of `sql/<relative>`, e.g. `read_sql("views/events.sql")`."""
    path = SQL_DIR / relative
    if not path.is_file():
        raise FileNotFoundError(f"SQL file not found: {path}")
    return path.read_text(encoding="utf-8")


def sql_files(folder: str) -> list[Path]:
    """The `.sql` files of `sql/<folder>`, in name order (the order they run in)."""
    return sorted((SQL_DIR / folder).glob("*.sql"))
