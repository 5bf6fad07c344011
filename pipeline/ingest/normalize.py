"""Raw CloudTrail record -> one flat row of the lake schema. Pure functions, no I/O.

Nothing a record carries is dropped: named fields go to their columns, nested free-form objects
are kept as JSON text, and every other top-level field (or a value that does not fit its column)
goes to ``extra``. How one value is read (times, JSON text) and why a record is refused:
field_values.py; the identity columns derived from userIdentity: identity.py.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from trailguard.pipeline.ingest.field_values import (
    RecordError,
    check_event_time,
    loose_bool,
    parse_time,
    to_json_text,
)
from trailguard.pipeline.ingest.identity import identity_columns
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
# Lambda names carry the API version they were called with: UpdateFunctionCode20150331v2.
_API_VERSION_SUFFIX = re.compile(r"(?:19|20)\d{6}(?:v\d+)?$")
# Hand-made exports sometimes lower-case every key ("eventname"); accept them as the real ones.
_BY_LOWER = {name.lower(): name for name in KNOWN_FIELDS}


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


def principal_key(record: dict[str, Any]) -> str:
    """The principal key a record's row gets (`identity_columns`), whatever its other fields."""
    identity = _split_fields(record)[0].get("userIdentity")
    return str(
        identity_columns(to_json_text(identity if isinstance(identity, dict) else None))[
            "principal_key"
        ]
    )


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
    parsed = loose_bool(value)
    if parsed is None and value is not None:
        extra[name] = value
    return parsed
