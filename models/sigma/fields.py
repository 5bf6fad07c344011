"""Sigma's CloudTrail field names, as the lake's columns and JSON paths (the processing pipeline).

Sigma rules name CloudTrail's own fields (`eventName`, `userIdentity.arn`,
`requestParameters.bucketName`). Two steps turn one into DuckDB SQL over the `events` view:

1. `to_lake_field` (run by the pySigma `ProcessingPipeline` of `cloudtrail_pipeline`) names the
   lake field: a column (`identity_arn`), a path inside a JSON column
   (`request_parameters.bucketName`), or one of the `DERIVED` fields.
2. `render_field` (called by the backend for every field it writes) turns that name into an SQL
   expression, `json_extract_string(request_parameters, '$."bucketName"')`. Only names built from
   the lake's own columns and plain path segments render: a field name is rule text, and rule
   text never reaches SQL unchecked.

CloudTrail quirks the mapping absorbs:
- Lambda event names carry the API version they were called with
  (`UpdateFunctionCode20150331v2`); `eventName` is matched on the name without it, on both
  sides, so `eventName: CreateFunctionUrlConfig` matches `CreateFunctionUrlConfig20211031`.
- A whole JSON object (`requestParameters|contains: ...`) is matched as its JSON text with the
  quotes of JSON embedded in strings unescaped: a policy document is JSON inside a string, and
  rules quote it as SIEMs show it (`"s3:GetObject"`, not `\\"s3:GetObject\\"`).
- A few request fields are lists (`containerDefinitions` of ECS): a path through one reads every
  element, joined by newlines.
- `status` is no CloudTrail field, but a SigmaHQ rule asks for `status: success`: it is derived,
  'success' for a call without an `errorCode`, else 'failure'.
"""

from __future__ import annotations

import re

import pyarrow as pa
from sigma.exceptions import SigmaFeatureNotSupportedByBackendError
from sigma.processing.conditions import IncludeFieldCondition
from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
from sigma.processing.transformations import (
    FieldFunctionTransformation,
    ReplaceStringTransformation,
)

from trailguard.pipeline.lake.schema import COLUMNS, JSON_FIELDS

# Top-level CloudTrail fields and the userIdentity parts the lake keeps in columns of their own.
COLUMN_OF: dict[str, str] = {
    "eventVersion": "event_version",
    "eventTime": "event_time",
    "eventSource": "event_source",
    "eventName": "event_name_base",
    "eventType": "event_type",
    "eventCategory": "event_category",
    "eventID": "event_id",
    "awsRegion": "aws_region",
    "sourceIPAddress": "source_ip_address",
    "userAgent": "user_agent",
    "errorCode": "error_code",
    "errorMessage": "error_message",
    "requestID": "request_id",
    "sharedEventID": "shared_event_id",
    "readOnly": "read_only",
    "managementEvent": "management_event",
    "recipientAccountId": "recipient_account_id",
    "apiVersion": "api_version",
    "vpcEndpointId": "vpc_endpoint_id",
    "vpcEndpointAccountId": "vpc_endpoint_account_id",
    "sessionCredentialFromConsole": "session_credential_from_console",
    "userIdentity": "user_identity",
    "userIdentity.type": "identity_type",
    "userIdentity.principalId": "identity_principal_id",
    "userIdentity.arn": "identity_arn",
    "userIdentity.accountId": "identity_account_id",
    "userIdentity.accessKeyId": "identity_access_key_id",
    "userIdentity.userName": "identity_user_name",
    "userIdentity.invokedBy": "identity_invoked_by",
    "userIdentity.sessionContext.sessionIssuer.type": "session_issuer_type",
    "userIdentity.sessionContext.sessionIssuer.arn": "session_issuer_arn",
    "userIdentity.sessionContext.sessionIssuer.userName": "session_issuer_name",
    "userIdentity.sessionContext.sessionIssuer.accountId": "session_issuer_account_id",
    "userIdentity.sessionContext.sourceIdentity": "session_source_identity",
    "status": "status",
}
# Objects kept as JSON text: CloudTrail's free-form ones, userIdentity as delivered, and `extra`
# (every field the lake's schema does not name).
JSON_COLUMN_OF: dict[str, str] = {**JSON_FIELDS, "userIdentity": "user_identity"}
JSON_COLUMNS = frozenset(JSON_COLUMN_OF.values()) | {"extra"}
# Lists on the way down a JSON path: (column, path to the list).
LISTS: frozenset[tuple[str, tuple[str, ...]]] = frozenset(
    {("request_parameters", ("containerDefinitions",)), ("resources", ())}
)
DERIVED: dict[str, str] = {
    "status": "CASE WHEN error_code IS NULL THEN 'success' ELSE 'failure' END",
    "event_time": "strftime(event_time, '%Y-%m-%dT%H:%M:%SZ')",  # as CloudTrail writes it
}
_TEXT = frozenset(name for name, kind, _ in COLUMNS if kind == pa.string()) - JSON_COLUMNS
_FLAGS = frozenset(name for name, kind, _ in COLUMNS if kind == pa.bool_())
# A path segment becomes part of an SQL string literal: letters, digits and a few separators only.
_SEGMENT = re.compile(r"^[A-Za-z0-9_\-:@]+$")
# As pipeline/ingest/normalize.py strips it (models may not import ingest).
API_VERSION_SUFFIX = r"(?:19|20)\d{6}(?:v\d+)?$"


def to_lake_field(name: str | None) -> str | None:
    """The lake field of a Sigma CloudTrail field name (None: a keyword search, left alone)."""
    if name is None:
        return None
    if name in COLUMN_OF:
        return COLUMN_OF[name]
    root, dot, path = name.partition(".")
    if root in JSON_COLUMN_OF:
        return f"{JSON_COLUMN_OF[root]}{dot}{path}"
    return f"extra.{name}"  # a field this lake's schema does not name: kept in `extra`


def render_field(field: str) -> str:
    """The DuckDB expression of a lake field; fields outside the lake are not supported."""
    if field in DERIVED:
        return DERIVED[field]
    column, _, path = field.partition(".")
    if column in JSON_COLUMNS:
        return _json_path(column, path.split(".") if path else [])
    if not path and column in _TEXT:
        return column
    if not path and column in _FLAGS:
        return f"CAST({column} AS VARCHAR)"  # 'true' / 'false', as the JSON spells them
    raise SigmaFeatureNotSupportedByBackendError(f"field {field!r} is not in the lake")


def _json_path(column: str, segments: list[str]) -> str:
    if not segments:
        # A policy document is JSON inside a string: match it as SIEMs show it, unescaped.
        return f"replace({column}, '\\\"', '\"')"
    bad = [s for s in segments if not _SEGMENT.match(s)]
    if bad:
        raise SigmaFeatureNotSupportedByBackendError(
            f"field path {'.'.join(segments)!r} has a segment outside [A-Za-z0-9_-:@]"
        )
    path, listed = "$", False
    if (column, ()) in LISTS:
        path, listed = "$[*]", True
    for depth, segment in enumerate(segments, start=1):
        path += f'."{segment}"'
        if (column, tuple(segments[:depth])) in LISTS and depth < len(segments):
            path, listed = path + "[*]", True
    extract = f"json_extract_string({column}, '{path}')"
    # Through a list DuckDB returns a list: every element's text, one per line.
    return f"nullif(array_to_string({extract}, chr(10)), '')" if listed else extract


def cloudtrail_pipeline() -> ProcessingPipeline:
    """Sigma CloudTrail field names to lake fields; `eventName` values without an API version."""
    return ProcessingPipeline(
        name="trailguard CloudTrail lake",
        priority=20,
        items=[
            ProcessingItem(
                identifier="trailguard_lambda_api_version",
                transformation=ReplaceStringTransformation(API_VERSION_SUFFIX, replacement=""),
                field_name_conditions=[IncludeFieldCondition(fields=["eventName"])],
            ),
            ProcessingItem(
                identifier="trailguard_lake_fields",
                transformation=FieldFunctionTransformation(
                    mapping={}, transform_func=_lake_field_or_keyword
                ),
            ),
        ],
    )


def _lake_field_or_keyword(name: str | None) -> str:
    # FieldFunctionTransformation passes keywords (None) only when asked to; they stay unmapped.
    return to_lake_field(name) or ""
