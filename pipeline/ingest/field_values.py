"""One value of a CloudTrail record as the lake keeps it: a time, a nested value as JSON text, a
loose boolean; and RecordError, the quarantine reason of a record that cannot become a row.

An ``eventTime`` outside what CloudTrail can have written (before it existed, or more than a day
after the run reads it) makes its record a quarantine entry: year 1 or 9999 would pass through the
lake and break every later stage's date arithmetic. A number past a double's range, read by
`pipeline.ingest.decode` as its own text (an `orjson.Fragment`), is written back as that text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import orjson

# The range of a usable eventTime: CloudTrail launched in November 2013, and clocks (CloudTrail's,
# or an export tool's) run at most so far ahead of the machine that ingests.
EARLIEST_EVENT_TIME = datetime(2013, 11, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)


class RecordError(ValueError):
    """A record that cannot become a row; the message is the quarantine reason."""


def parse_time(value: object, *, field: str) -> datetime:
    """A CloudTrail time (ISO 8601 text, or epoch seconds/milliseconds) as an aware UTC datetime."""
    parsed: datetime | None = None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            parsed = None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:  # a number past a float's range overflows in the division already
            seconds = value / 1000 if value > 10_000_000_000 else value
            parsed = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            parsed = None
    if parsed is None:
        raise RecordError(f"no usable {field}: {_preview(value)}")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 or 9999-12-31T23:59-01:00: no UTC date
        raise RecordError(f"{field} out of range in UTC: {_preview(value)}") from None


def check_event_time(when: datetime, ingested_at: datetime) -> datetime:
    """`when`, when CloudTrail could have written it (see the module docstring); else a
    RecordError."""
    if when < EARLIEST_EVENT_TIME:
        raise RecordError(
            f"eventTime {when.isoformat()} is before CloudTrail existed"
            f" ({EARLIEST_EVENT_TIME.date().isoformat()})"
        )
    if when > ingested_at + FUTURE_SLACK:
        raise RecordError(
            f"eventTime {when.isoformat()} is more than a day after the ingest"
            f" ({ingested_at.isoformat(timespec='seconds')})"
        )
    return when


def to_json_text(value: object) -> str | None:
    """JSON text of a nested value; None for an absent or JSON-null value."""
    if value is None:
        return None
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except orjson.JSONEncodeError:  # orjson stops at 254 levels; the parser allowed more
        text = json.dumps(value, default=_unwritable)  # RecursionError past ~900: its limit
    try:
        orjson.loads(text)  # the text is parsed again (identity columns, DuckDB): past 1,024
    except orjson.JSONDecodeError as exc:  # levels orjson cannot, so the record is refused
        raise RecordError(f"value nested too deep to store: {exc}") from None
    return text


def _unwritable(value: object) -> str:
    if isinstance(value, orjson.Fragment):  # Python's JSON cannot write a number's own text
        raise ValueError("a number past a double's range, nested too deep for orjson")
    return str(value)


def loose_bool(value: object) -> bool | None:
    """A boolean, or its text in any case (`"True"`); None for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _preview(value: object, limit: int = 60) -> str:
    text = orjson.dumps(value).decode() if isinstance(value, orjson.Fragment) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
