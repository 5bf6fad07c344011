"""A record's userIdentity -> the identity columns of its row, the principal key among them.

Pure, and cached per distinct userIdentity text: one principal makes thousands of calls with the
same one.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson

from trailguard.pipeline.ingest.field_values import (
    RecordError,
    loose_bool,
    parse_time,
    to_json_text,
)
from trailguard.pipeline.ingest.principals import principal_of

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
        "session_mfa_authenticated": loose_bool(attributes.get("mfaAuthenticated")),
        "session_creation_time": _maybe_time(attributes.get("creationDate")),
        "session_source_identity": _text(ctx.get("sourceIdentity")),
        "session_name": principal.session_name,
        "principal_key": principal.key,
        "principal_kind": principal.kind,
        "user_identity": text,
    }


def _loads(text: str) -> Any:
    """JSON text `to_json_text` wrote: by orjson, or by Python's JSON when it holds a number orjson
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
