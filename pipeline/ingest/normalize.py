"""Raw CloudTrail record -> one flat row of the lake schema. Pure functions, no I/O.

Nothing a record carries is dropped: named fields go to their columns, nested free-form objects
are kept as JSON text, and every other top-level field (or a value that does not fit its column)
goes to ``extra``.

An ``eventTime`` outside what CloudTrail can have written (before it existed, or more than a day
after the run reads it) makes its record a quarantine entry: year 1 or 9999 would pass through the
lake and break every later stage's date arithmetic. A number past a double's range, read by
`pipeline.ingest.decode` as its own text (an `orjson.Fragment`), is written back as that text.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import orjson

from trailguard.pipeline.ingest.principals import principal_of
from trailguard.pipeline.lake.schema import JSON_FIELDS

# CloudTrail's top-level fields and the column each one lands in.
SCALAR_FIELDS: dict[str, str] = {
    "eventVersion": "event_version",
    "eventSource": "event_source",
    "eventName": "event_name",
    "eventType": "event_type",
    "eventCategory": "event_category",
    "awsRegion": "aws_region",
    "sourceIPAddress": "source_ip_address",
    "userAgent": "user_agent",
    "errorCode": "error_code",
    "errorMessage": "error_message",
    "requestID": "request_id",
    "sharedEventID": "shared_event_id",
    "recipientAccountId": "recipient_account_id",
    "apiVersion": "api_version",
    "vpcEndpointId": "vpc_endpoint_id",
    "vpcEndpointAccountId": "vpc_endpoint_account_id",
}
BOOL_FIELDS: dict[str, str] = {
    "readOnly": "read_only",
    "managementEvent": "management_event",
    "sessionCredentialFromConsole": "session_credential_from_console",
}
# Consumed by dedicated code below, not copied as-is.
SPECIAL_FIELDS = ("eventID", "eventTime", "@timestamp", "userIdentity")
KNOWN_FIELDS = frozenset([*SCALAR_FIELDS, *BOOL_FIELDS, *JSON_FIELDS, *SPECIAL_FIELDS])
# The columns `identity_columns` derives from userIdentity (README: principal keys).
IDENTITY_COLUMNS: tuple[str, ...] = (
    "identity_type",
    "identity_principal_id",
    "identity_arn",
    "identity_account_id",
    "identity_access_key_id",
    "identity_user_name",
    "identity_invoked_by",
    "identity_store_user_id",
    "identity_store_arn",
    "session_issuer_type",
    "session_issuer_arn",
    "session_issuer_name",
    "session_issuer_account_id",
    "session_mfa_authenticated",
    "session_creation_time",
    "session_source_identity",
    "session_name",
    "principal_key",
    "principal_kind",
    "user_identity",
)
# The range of a usable eventTime: CloudTrail launched in November 2013, and clocks (CloudTrail's,
# or an export tool's) run at most so far ahead of the machine that ingests.
EARLIEST_EVENT_TIME = datetime(2013, 11, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)
# Lambda names carry the API version they were called with: UpdateFunctionCode20150331v2.
_API_VERSION_SUFFIX = re.compile(r"(?:19|20)\d{6}(?:v\d+)?$")
# Hand-made exports sometimes lower-case every key ("eventname"); accept them as the real ones.
_BY_LOWER = {name.lower(): name for name in KNOWN_FIELDS}


class RecordError(ValueError):
    """A record that cannot become a row; the message is the quarantine reason."""


def normalize_record(record: object, source_key: str, ingested_at: datetime) -> dict[str, Any]:
    """One CloudTrail record as a row of `pipeline.lake.schema.SCHEMA` (raises RecordError)."""
    row, identity = normalize_event(record, source_key, ingested_at)
    row.update(identity_columns(identity))
    return row


def normalize_event(
    record: object, source_key: str, ingested_at: datetime
) -> tuple[dict[str, Any], str | None]:
    """The row without its `IDENTITY_COLUMNS`, and the userIdentity JSON they derive from.

    Ingest builds the identity columns once per distinct userIdentity (`identity_columns`):
    one principal makes thousands of calls with the same one.
    """
    if not isinstance(record, dict):
        raise RecordError(f"record is a JSON {type(record).__name__}, not an object")
    fields, extra = _split_fields(record)
    if not fields.get("eventName") or not fields.get("eventSource"):
        raise RecordError("not a CloudTrail record: missing eventName or eventSource")
    raw_time = fields.get("eventTime", fields.get("@timestamp"))
    row: dict[str, Any] = {
        "event_time": check_event_time(parse_time(raw_time, field="eventTime"), ingested_at),
        "source_key": source_key,
        "ingested_at": ingested_at,
    }
    row["event_id"], row["event_id_derived"] = _event_id(fields.get("eventID"), record)
    for name, column in SCALAR_FIELDS.items():
        value = fields.get(name)
        # The common case inline: this loop runs ~16 times for every event ingested.
        row[column] = value if value is None or type(value) is str else _as_text(value, name, extra)
    for name, column in BOOL_FIELDS.items():
        row[column] = _as_bool(fields.get(name), name, extra)
    for name, column in JSON_FIELDS.items():
        row[column] = to_json_text(fields.get(name))
    row["event_name_base"] = base_event_name(row["event_name"])
    row["source_is_ip"] = looks_like_ip(row["source_ip_address"])
    identity = fields.get("userIdentity")
    if identity is not None and not isinstance(identity, dict):
        extra["userIdentity"] = identity  # kept, not guessed at
        identity = None
    row["extra"] = to_json_text(extra) if extra else None
    return row, to_json_text(identity)


def _split_fields(record: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Known CloudTrail fields (by canonical name) and everything else."""
    if KNOWN_FIELDS.issuperset(record):
        return record, {}  # the common case: a real CloudTrail record
    fields: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    for key, value in record.items():
        canonical = key if key in KNOWN_FIELDS else _BY_LOWER.get(str(key).lower())
        if canonical is None or canonical in fields:
            extra[str(key)] = value
        else:
            fields[canonical] = value
    return fields, extra


def _event_id(value: object, record: dict[str, Any]) -> tuple[str, bool]:
    """The record's eventID, or a stable id derived from its content (and the flag saying so)."""
    if isinstance(value, str) and value.strip():
        return value, False
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value), False
    canonical = orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)
    return "derived-" + hashlib.sha256(canonical).hexdigest()[:32], True


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


def principal_key(record: dict[str, Any]) -> str:
    """The principal key a record's row gets (`identity_columns`), whatever its other fields."""
    identity = _split_fields(record)[0].get("userIdentity")
    return str(
        identity_columns(to_json_text(identity if isinstance(identity, dict) else None))[
            "principal_key"
        ]
    )


@lru_cache(maxsize=16384)
def identity_columns(text: str | None) -> dict[str, Any]:
    """`IDENTITY_COLUMNS` of one userIdentity (given as JSON text), with its principal key.

    The returned dict is shared by every caller with the same identity: do not change it.
    """
    ui: dict[str, Any] = _loads(text) if text else {}
    ctx = _dict(ui.get("sessionContext"))
    issuer = _dict(ctx.get("sessionIssuer"))
    attributes = _dict(ctx.get("attributes"))
    on_behalf = _dict(ui.get("onBehalfOf"))
    principal = principal_of(ui)
    return {
        "identity_type": _text(ui.get("type")),
        "identity_principal_id": _text(ui.get("principalId")),
        "identity_arn": _text(ui.get("arn")),
        "identity_account_id": _text(ui.get("accountId")),
        "identity_access_key_id": _text(ui.get("accessKeyId")),
        "identity_user_name": _text(ui.get("userName")),
        "identity_invoked_by": _text(ui.get("invokedBy")),
        "identity_store_user_id": _text(on_behalf.get("userId")),
        "identity_store_arn": _text(on_behalf.get("identityStoreArn")),
        "session_issuer_type": _text(issuer.get("type")),
        "session_issuer_arn": _text(issuer.get("arn")),
        "session_issuer_name": _text(issuer.get("userName")),
        "session_issuer_account_id": _text(issuer.get("accountId")),
        "session_mfa_authenticated": _loose_bool(attributes.get("mfaAuthenticated")),
        "session_creation_time": _maybe_time(attributes.get("creationDate")),
        "session_source_identity": _text(ctx.get("sourceIdentity")),
        "session_name": principal.session_name,
        "principal_key": principal.key,
        "principal_kind": principal.kind,
        "user_identity": text,
    }


@lru_cache(maxsize=8192)
def base_event_name(name: str | None) -> str | None:
    """eventName without Lambda's API-version suffix: UpdateFunctionCode20150331v2 -> ...Code."""
    if not name:
        return name
    return _API_VERSION_SUFFIX.sub("", name) or name


@lru_cache(maxsize=65536)
def looks_like_ip(value: str | None) -> bool:
    """True for an IPv4/IPv6 literal; False for service names such as `lambda.amazonaws.com`."""
    if not value:
        return False
    if ":" in value:
        return all(c in "0123456789abcdefABCDEF:." for c in value)
    parts = value.split(".")
    return len(parts) == 4 and all(p.isdigit() and len(p) <= 3 and int(p) <= 255 for p in parts)


def _loads(text: str) -> Any:
    """JSON text this module wrote: by orjson, or by Python's JSON when it holds a number orjson
    refuses (`1e999`, whose text `pipeline.ingest.decode` keeps)."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text, parse_float=_number, parse_int=_number)


def _number(text: str) -> str | int | float:
    """A number of an identity; past a double's range, its text."""
    value = float(text)
    if not math.isfinite(value):
        return text
    return int(text) if text.lstrip("-").isdigit() else value


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


def _as_text(value: object, name: str, extra: dict[str, Any]) -> str | None:
    """A scalar field as text; a nested value that cannot be a scalar is kept in `extra`."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict | list):
        extra[name] = value
        return None
    if isinstance(value, orjson.Fragment):  # a number kept as its text (`1e999`)
        return orjson.dumps(value).decode()
    return str(value).lower() if isinstance(value, bool) else str(value)


def _as_bool(value: object, name: str, extra: dict[str, Any]) -> bool | None:
    """A boolean field; an unreadable value is kept in `extra` rather than guessed."""
    parsed = _loose_bool(value)
    if parsed is None and value is not None:
        extra[name] = value
    return parsed


def _loose_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def _maybe_time(value: object) -> datetime | None:
    try:
        return parse_time(value, field="creationDate") if value else None
    except RecordError:
        return None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return to_json_text(value) if isinstance(value, dict | list) else str(value)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _preview(value: object, limit: int = 60) -> str:
    text = orjson.dumps(value).decode() if isinstance(value, orjson.Fragment) else repr(value)
    return text if len(text) <= limit else text[:limit] + "..."
