"""Locate and read the project's `.sql` files (top-level `sql/` folder)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

SQL_DIR = Path(__file__).resolve().parent.parent / "sql"


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
