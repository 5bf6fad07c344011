"""ASFF (the AWS Security Finding Format): a Finding as the payload BatchImportFindings takes.

Pure: the delivery (a session per account, the import and update calls) is
pipeline/export/securityhub.py. A finding is mapped as the default product of its own account
(`product/<account>/default`), the only product an account may import its own findings as.

The ASFF `Id` is the finding id and `UpdatedAt` its update time, so a newer version of a finding
updates the same Security Hub finding instead of adding one. Severity, Types and Confidence also
go in `FindingProviderFields`, the fields a provider keeps updating once analysts have changed
the top-level ones.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from trailguard.pipeline.export import ocsf
from trailguard.pipeline.findings.attack import split_type, technique_for
from trailguard.pipeline.findings.credit import credit_of
from trailguard.pipeline.findings.store import Finding

SCHEMA_VERSION = "2018-10-08"
_NOT_TTPS = {"Exfiltration": "Effects/Data Exfiltration", "Impact": "Effects/Data Destruction"}
_RESOURCE_TYPES = {"user": "AwsIamUser", "role": "AwsIamRole"}
# An assumed-role session: arn:aws:sts::<account>:assumed-role/<role name>/<session name>.
_SESSION = re.compile(
    r"^arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<name>.+)$"
)


def default_product_arn(partition: str, region: str, account: str) -> str:
    """The default product of `account`: the only one it may import its own findings as."""
    return f"arn:{partition}:securityhub:{region}:{account}:product/{account}/default"


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
    finding: Finding,
    *,
    account_id: str,
    region: str,
    partition: str = "aws",
    product_arn: str | None = None,
) -> dict[str, Any]:
    """The ASFF finding of a Finding, as its own account's default product; `account_id` is
    used when the finding has none. `product_arn` (the older signature) gives only its
    partition: another account's product would be refused by AWS."""
    if product_arn:
        partition = product_arn.split(":", 2)[1]
    account = finding.account_id or account_id
    created = finding.created_at or finding.first_seen
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding.finding_id,
        "ProductArn": default_product_arn(partition, region, account),
        "GeneratorId": f"trailguard/{finding.detector}",
        "AwsAccountId": account,
        "Types": asff_types(finding.type),
        "FirstObservedAt": iso(finding.first_seen),
        "LastObservedAt": iso(finding.last_seen),
        "CreatedAt": iso(created),
        "UpdatedAt": iso(ocsf.event_time(finding)),
        "Severity": severity(finding),
        "FindingProviderFields": provider_fields(finding),
        "Title": finding.title[:256],
        "Description": finding.description[:1024] or finding.title[:1024],
        "CompanyName": "trailguard",
        "ProductName": "trailguard",
        "Region": finding.region or region,
        "Resources": [resource(finding, partition=partition, region=region)],
        "ProductFields": product_fields(finding),
        # RecordState is the provider's to set; Workflow and Note are the analyst's, sent by
        # securityhub.send_workflow with BatchUpdateFindings.
        "RecordState": "ARCHIVED" if finding.status == "archived" else "ACTIVE",
    } | _related(finding, default_product_arn(partition, region, account))


def _related(finding: Finding, arn: str) -> dict[str, Any]:
    """ASFF RelatedFindings (at most 10): an attack sequence's members, or a member's sequence."""
    ids = ocsf.related_findings(finding)[:10]
    return {"RelatedFindings": [{"ProductArn": arn, "Id": i} for i in ids]} if ids else {}


def severity(finding: Finding) -> dict[str, str]:
    """ASFF Severity: the label, and the GuardDuty-scale value as the provider's original."""
    return {"Label": finding.severity_label.upper(), "Original": f"{finding.severity:.1f}"}


def provider_fields(finding: Finding) -> dict[str, Any]:
    """FindingProviderFields: what a provider may still update after analysts changed the
    top-level Severity and Types (BatchImportFindings ignores the provider's change there)."""
    fields: dict[str, Any] = {"Severity": severity(finding), "Types": asff_types(finding.type)}
    if finding.score is None and finding.model_version is None:
        fields["Confidence"] = 100  # an exact rule matched the events themselves
    return fields


def resource(finding: Finding, *, partition: str, region: str) -> dict[str, Any]:
    """The principal as an ASFF resource whose Id has the form its Type expects."""
    principal = finding.principal
    found: dict[str, Any] = {"Partition": partition, "Region": finding.region or region}
    kind = ocsf.principal_kind(principal)
    session = _SESSION.match(principal)
    if session:
        # A session is keyed by its role. Its ARN names the role without the role's path, so
        # this is the role's ARN for roles at `/` (most); the session is kept under Other.
        role = f"arn:{session['partition']}:iam::{session['account']}:role/{session['role']}"
        other = {"SessionArn": principal, "SessionName": session["name"][:1024]}
        found.update(Type="AwsIamRole", Id=role, Details={"Other": other})
    elif kind == "root":
        account = principal.split(":")[4] or finding.account_id or ""
        found.update(
            Type="AwsAccount",
            Id=f"AWS::::Account:{account}",  # Security Hub's own form for an account resource
            Details={"Other": {"PrincipalArn": principal}},
        )
    else:
        found.update(Type=_RESOURCE_TYPES.get(kind, "Other"), Id=principal)
    return found


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
    credit = credit_of(finding.evidence)
    if credit:  # a Sigma rule's match: its id and author go wherever it goes (DRL 1.1)
        fields["trailguard/RuleId"] = credit.rule_id
        fields["trailguard/RuleTitle"] = credit.title
        fields["trailguard/RuleAuthor"] = credit.author or ""
        fields["trailguard/RuleSource"] = ", ".join(p for p in (credit.pack, credit.licence) if p)
    if technique:
        fields["trailguard/MitreTactic"] = technique.tactic_uid
        best = technique.sub_technique_uid or technique.technique_uid
        if best:
            fields["trailguard/MitreTechnique"] = best
    for key, values in finding.evidence.unusual.items():
        if values:
            fields[f"trailguard/Unusual/{key}"] = ", ".join(v.value for v in values)[:2048]
    return fields
