"""The one Arrow schema of the lake: a CloudTrail record flattened to snake_case columns.

Every top-level CloudTrail field has a column; nested free-form objects are kept as JSON text;
anything a record carries that this schema does not name goes to ``extra`` (JSON), so no field a
record carries is ever dropped. ``event_date`` and ``account_id`` are not stored in the files:
they are the hive partition folders of the lake (``event_date=YYYY-MM-DD/account_id=NNN``).
"""

from __future__ import annotations

import pyarrow as pa

UTC_TS = pa.timestamp("us", tz="UTC")

# CloudTrail's free-form nested objects and the columns that keep them as JSON text.
JSON_FIELDS: dict[str, str] = {
    "requestParameters": "request_parameters",
    "responseElements": "response_elements",
    "additionalEventData": "additional_event_data",
    "resources": "resources",
    "serviceEventDetails": "service_event_details",
    "tlsDetails": "tls_details",
}

# (column, type, description). The description is the README's schema table.
COLUMNS: list[tuple[str, pa.DataType, str]] = [
    ("event_id", pa.string(), "eventID; the identity of an event (dedup key)"),
    ("event_id_derived", pa.bool_(), "true when the record had no eventID and one was derived"),
    ("event_time", UTC_TS, "eventTime (or Logstash @timestamp) as a UTC timestamp"),
    ("event_version", pa.string(), "eventVersion"),
    ("event_source", pa.string(), "eventSource, e.g. iam.amazonaws.com"),
    ("event_name", pa.string(), "eventName as delivered (Lambda names keep their API version)"),
    ("event_name_base", pa.string(), "eventName without a Lambda-style API version suffix"),
    ("event_type", pa.string(), "eventType: AwsApiCall, AwsConsoleSignIn, AwsServiceEvent, ..."),
    ("event_category", pa.string(), "eventCategory: Management, Data, Insight"),
    ("aws_region", pa.string(), "awsRegion"),
    ("source_ip_address", pa.string(), "sourceIPAddress: an IP, or a service name"),
    ("source_is_ip", pa.bool_(), "true when source_ip_address parses as an IPv4/IPv6 address"),
    ("user_agent", pa.string(), "userAgent"),
    ("error_code", pa.string(), "errorCode"),
    ("error_message", pa.string(), "errorMessage"),
    ("request_id", pa.string(), "requestID"),
    ("shared_event_id", pa.string(), "sharedEventID"),
    ("read_only", pa.bool_(), "readOnly"),
    ("management_event", pa.bool_(), "managementEvent"),
    ("recipient_account_id", pa.string(), "recipientAccountId"),
    ("api_version", pa.string(), "apiVersion"),
    ("vpc_endpoint_id", pa.string(), "vpcEndpointId"),
    ("vpc_endpoint_account_id", pa.string(), "vpcEndpointAccountId"),
    ("session_credential_from_console", pa.bool_(), "sessionCredentialFromConsole"),
    ("identity_type", pa.string(), "userIdentity.type"),
    ("identity_principal_id", pa.string(), "userIdentity.principalId"),
    ("identity_arn", pa.string(), "userIdentity.arn"),
    ("identity_account_id", pa.string(), "userIdentity.accountId"),
    ("identity_access_key_id", pa.string(), "userIdentity.accessKeyId"),
    ("identity_user_name", pa.string(), "userIdentity.userName"),
    ("identity_invoked_by", pa.string(), "userIdentity.invokedBy"),
    ("identity_store_user_id", pa.string(), "Identity Center user (onBehalfOf.userId)"),
    ("identity_store_arn", pa.string(), "Identity Center store (onBehalfOf.identityStoreArn)"),
    ("session_issuer_type", pa.string(), "sessionContext.sessionIssuer.type"),
    ("session_issuer_arn", pa.string(), "sessionContext.sessionIssuer.arn"),
    ("session_issuer_name", pa.string(), "sessionContext.sessionIssuer.userName"),
    ("session_issuer_account_id", pa.string(), "sessionContext.sessionIssuer.accountId"),
    ("session_mfa_authenticated", pa.bool_(), "sessionContext.attributes.mfaAuthenticated"),
    ("session_creation_time", UTC_TS, "sessionContext.attributes.creationDate"),
    ("session_source_identity", pa.string(), "sessionContext.sourceIdentity"),
    ("session_name", pa.string(), "role session name of an assumed-role or federated session"),
    ("principal_key", pa.string(), "whom behaviour is learned on (see README: principal keys)"),
    ("principal_kind", pa.string(), "root, iam_user, role, role_session, service, federated, ..."),
    ("user_identity", pa.string(), "userIdentity as delivered (JSON)"),
    ("request_parameters", pa.string(), "requestParameters (JSON text; NULL when absent/null)"),
    ("response_elements", pa.string(), "responseElements (JSON text)"),
    ("additional_event_data", pa.string(), "additionalEventData (JSON text)"),
    ("resources", pa.string(), "resources (JSON text)"),
    ("service_event_details", pa.string(), "serviceEventDetails (JSON text)"),
    ("tls_details", pa.string(), "tlsDetails (JSON text)"),
    ("extra", pa.string(), "every field the schema does not name (JSON object), else NULL"),
    ("source_key", pa.string(), "lineage: the object the row was read from (s3://... or path)"),
    ("ingested_at", UTC_TS, "when trailguard wrote the row"),
]

SCHEMA: pa.Schema = pa.schema(
    [pa.field(name, dtype, nullable=name != "event_id") for name, dtype, _ in COLUMNS]
)
COLUMN_NAMES: list[str] = [name for name, _, _ in COLUMNS]

# Hive partition columns: folders of the lake, not columns of its files.
PARTITION_COLUMNS: tuple[str, str] = ("event_date", "account_id")
