"""AWS Security Hub: findings as ASFF through `BatchImportFindings`, at most 100 per call.

`securityhub` (the session's region) or `securityhub:REGION[?account=ID]`. Findings are imported
as the account's own product (`product/<account>/default`). The ASFF `Id` is the finding id and
`UpdatedAt` its update time, so a newer version of a finding updates the same Security Hub
finding instead of adding one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from trailguard.pipeline.export import ocsf
from trailguard.pipeline.export.attack import split_type, technique_for
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    SinkOptions,
    aws_client,
    register,
)
from trailguard.pipeline.findings.store import Finding

SCHEMA_VERSION = "2018-10-08"
MAX_BATCH = 100  # BatchImportFindings' limit
_RETRYABLE_CODES = {"InternalException", "InternalError", "ThrottlingException", "LimitExceeded"}
_NOT_TTPS = {"Exfiltration": "Effects/Data Exfiltration", "Impact": "Effects/Data Destruction"}
_RESOURCE_TYPES = {"user": "AwsIamUser", "role": "AwsIamRole", "root": "AwsAccount"}


def iso(moment: datetime) -> str:
    """ASFF timestamp: ISO 8601 in UTC with milliseconds."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def asff_types(finding_type: str) -> list[str]:
    """ASFF `Types` (namespace/category/classifier), as GuardDuty fills them."""
    purpose, _, family = split_type(finding_type)
    classifier = finding_type.replace("/", "-")
    technique = technique_for(finding_type)
    if purpose in _NOT_TTPS:
        types = [f"{_NOT_TTPS[purpose]}/{classifier}"]
    elif technique is not None:
        types = [f"TTPs/{technique.tactic_name}/{classifier}"]
    else:
        types = [f"Software and Configuration Checks/AWS Security Best Practices/{classifier}"]
    if family == "AnomalousBehavior":
        types.append("Unusual Behaviors/User")
    return types


def to_payload(
    finding: Finding, *, product_arn: str, account_id: str, region: str
) -> dict[str, Any]:
    """The ASFF finding of a Finding; `account_id` is used when the finding has none."""
    partition = product_arn.split(":", 2)[1]
    created = finding.created_at or finding.first_seen
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding.finding_id,
        "ProductArn": product_arn,
        "GeneratorId": f"trailguard/{finding.detector}",
        "AwsAccountId": finding.account_id or account_id,
        "Types": asff_types(finding.type),
        "FirstObservedAt": iso(finding.first_seen),
        "LastObservedAt": iso(finding.last_seen),
        "CreatedAt": iso(created),
        "UpdatedAt": iso(ocsf.event_time(finding)),
        "Severity": {
            "Label": finding.severity_label.upper(),
            "Original": f"{finding.severity:.1f}",
        },
        "Title": finding.title[:256],
        "Description": finding.description[:1024] or finding.title[:1024],
        "CompanyName": "trailguard",
        "ProductName": "trailguard",
        "Region": finding.region or region,
        "Resources": [resource(finding, partition=partition, region=region)],
        "ProductFields": product_fields(finding),
        # RecordState is the provider's to set; Workflow belongs to the analyst (not sent).
        "RecordState": "ARCHIVED" if finding.status == "archived" else "ACTIVE",
    }


def resource(finding: Finding, *, partition: str, region: str) -> dict[str, str]:
    """The principal as the ASFF resource of the finding."""
    return {
        "Type": _RESOURCE_TYPES.get(ocsf.principal_kind(finding.principal), "Other"),
        "Id": finding.principal,
        "Partition": partition,
        "Region": finding.region or region,
    }


def product_fields(finding: Finding) -> dict[str, str]:
    """ASFF ProductFields (strings only): what ASFF has no field for, unusual behaviour included."""
    technique = technique_for(finding.type)
    fields = {
        "trailguard/FindingType": finding.type,
        "trailguard/Detector": finding.detector,
        "trailguard/Version": str(finding.version),
        "trailguard/EventCount": str(finding.event_count),
        "trailguard/Principal": finding.principal,
    }
    if finding.score is not None:
        fields["trailguard/Score"] = f"{finding.score:.4f}"
    if finding.model_version:
        fields["trailguard/ModelVersion"] = finding.model_version
    if technique:
        fields["trailguard/MitreTactic"] = technique.tactic_uid
        best = technique.sub_technique_uid or technique.technique_uid
        if best:
            fields["trailguard/MitreTechnique"] = best
    for key, values in finding.evidence.unusual.items():
        if values:
            fields[f"trailguard/Unusual/{key}"] = ", ".join(v.value for v in values)[:2048]
    return fields


class SecurityHubSink:
    """BatchImportFindings with the account's own product ARN."""

    def __init__(self, destination: str, options: SinkOptions) -> None:
        rest = destination.split(":", 1)[1] if ":" in destination else ""
        url = urlsplit(f"//{rest}")
        self.options = options
        self.client = aws_client("securityhub", options, region=url.hostname)
        self.region: str = self.client.meta.region_name
        self.account = parse_qs(url.query).get("account", [None])[0]
        self.name = f"securityhub:{self.region}"
        self._sts: Any = None
        self.secrets: tuple[str, ...] = ()

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """Import the batch in calls of at most 100; return the findings refused one by one."""
        account = self.account or self._caller_account()
        partition = "aws-cn" if self.region.startswith("cn-") else "aws"
        arn = f"arn:{partition}:securityhub:{self.region}:{account}:product/{account}/default"
        rejected: list[Rejection] = []
        for start in range(0, len(findings), MAX_BATCH):
            chunk = findings[start : start + MAX_BATCH]
            payloads = [
                to_payload(f, product_arn=arn, account_id=account, region=self.region)
                for f in chunk
            ]
            rejected.extend(send_batch(self.client, payloads, chunk, self.name))
        return rejected

    def _caller_account(self) -> str:
        if self._sts is None:  # made once: a retry should not pay for a new client
            endpoint = self.options.endpoint_url or self.client.meta.endpoint_url
            options = SinkOptions(timeout=self.options.timeout, endpoint_url=endpoint)
            self._sts = aws_client("sts", options, region=self.region)
        self.account = str(_call(self._sts.get_caller_identity, self.name)["Account"])
        return self.account


def send_batch(
    client: Any, payloads: list[dict[str, Any]], findings: Sequence[Finding], name: str
) -> list[Rejection]:
    """One BatchImportFindings call; a retryable per-finding error fails the whole call."""
    answer = _call(lambda: client.batch_import_findings(Findings=payloads), name)
    revisions = {f.finding_id: f.revision for f in findings}
    rejected: list[Rejection] = []
    for failure in answer.get("FailedFindings", []):
        code = failure.get("ErrorCode", "")
        if code in _RETRYABLE_CODES:
            raise DestinationUnavailable(f"{name}: {code} for finding {failure.get('Id')}")
        reason = f"{code}: {failure.get('ErrorMessage', '')}"
        rejected.append(
            Rejection(failure.get("Id", ""), revisions.get(failure.get("Id"), 0), reason)
        )
    return rejected


def _call(operation: Any, name: str) -> Any:
    try:
        return operation()
    except ClientError as exc:
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        error = exc.response.get("Error", {})
        detail = f"{name}: {error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}"
        if status >= 500 or status == 429 or "Throttl" in str(error.get("Code")):
            raise DestinationUnavailable(detail) from None
        raise DestinationRejected(detail) from None
    except BotoCoreError as exc:
        raise DestinationUnavailable(f"{name}: {type(exc).__name__}: {exc}") from None


@register("securityhub")
def open_securityhub(destination: str, options: SinkOptions) -> SecurityHubSink:
    """The sink of `securityhub[:REGION][?account=ID]`."""
    return SecurityHubSink(destination, options)
