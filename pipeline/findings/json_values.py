"""Tolerant reading of single values of stored JSON: each function takes whatever the JSON holds
where a value is expected and returns it typed, or None (an empty list or object) when it is not
of that type. Never raises: evidence any earlier version wrote must still read
(pipeline/findings/evidence.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

JsonObject = dict[str, Any]


def as_text(value: Any) -> str | None:
    """Any value as text; None stays None."""
    return None if value is None else str(value)


def as_number(value: Any) -> float | None:
    """An int or a float (a bool is an int), else None."""
    return value if isinstance(value, int | float) else None


def as_flag(value: Any) -> bool | None:
    """A bool, else None."""
    return value if isinstance(value, bool) else None


def is_count(value: Any) -> bool:
    """Whether the value is an int and not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def as_integer(value: Any) -> int | None:
    """An int that is not a bool, else None."""
    return value if is_count(value) else None


def as_moment(value: Any) -> datetime | None:
    """A datetime, or an ISO 8601 string read as one, else None."""
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def as_list(value: Any) -> list[Any]:
    """A list, else an empty one."""
    return value if isinstance(value, list) else []


def as_object(value: Any) -> JsonObject:
    """An object (dict), else an empty one."""
    return value if isinstance(value, dict) else {}
