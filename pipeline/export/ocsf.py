"""The canonical payload: a finding as an OCSF 1.6 Detection Finding (class_uid 2004). Pure.

Every other exporter either sends this payload as it is (NDJSON, HEC, syslog) or derives its own
from the same Finding. Each change of a finding in the store is one OCSF event: `finding_info.uid`
is the stable finding id, `metadata.uid` is `<finding id>:r<revision>` (archiving is a change
without a new version, so the version alone would not do) so a receiver can drop a redelivered
copy, and `activity_id` is Create for version 1, Update afterwards. An analyst's archive or
unarchive is such a change: its status, who and why are mapped by pipeline/export/decision.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from importlib import metadata
from typing import Any

from trailguard.pipeline.export import decision
from trailguard.pipeline.export.evidence import anomaly_analyses, event_ids, evidences, observables
from trailguard.pipeline.findings.attack import (
    ATTACK_VERSION,
    attack_url,
    split_type,
    technique_for,
)
from trailguard.pipeline.findings.store import SEVERITY_LOW_MAX, SEVERITY_MEDIUM_MAX, Finding

OCSF_VERSION = "1.6.0"
CLASS_UID = 2004
CATEGORY_UID = 2
ACTIVITY_CREATE, ACTIVITY_UPDATE = 1, 2
_SEVERITY_IDS = {2: "Low", 3: "Medium", 4: "High", 5: "Critical"}
# The account a principal belongs to is an AWS account whatever the principal: account type_id 3
# "AWS IAM User" and 4 "AWS IAM Role" describe the identity, not the account, and are deprecated
# in 1.6.0 in favour of user.type_id.
AWS_ACCOUNT = {"type_id": 10, "type": "AWS Account"}
# `cloud` (the cloud object) and `host` (which brings in `actor`): an attribute a profile adds is
# only valid in an event that declares the profile.
PROFILES = ("cloud", "host")


@cache  # reading package metadata took two thirds of the time of building a payload
def product_version() -> str:
    """trailguard's installed version, as the OCSF `metadata.product.version`."""
    try:
        return metadata.version("trailguard")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def epoch_ms(moment: datetime) -> int:
    """OCSF timestamp_t: milliseconds since the epoch (a naive datetime is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return int(aware.timestamp() * 1000)


def severity_id(severity: float) -> int:
    """OCSF severity_id of a GuardDuty 1.0-8.9 severity: Low 2, Medium 3, High 4 (Critical 5)."""
    if severity <= SEVERITY_LOW_MAX:
        return 2
    if severity <= SEVERITY_MEDIUM_MAX:
        return 3
    return 4 if severity < 9.0 else 5


def event_time(finding: Finding) -> datetime:
    """When this version of the finding was made (updated_at), else its last seen event."""
    return finding.updated_at or finding.created_at or finding.last_seen


def to_payload(finding: Finding) -> dict[str, Any]:
    """The OCSF Detection Finding of one version of a finding."""
    status_id, status = decision.ocsf_status(finding)
    payload: dict[str, Any] = {
        **_classification(finding),
        "status_id": status_id,
        "status": status,
        **decision.ocsf_fields(finding),
        "time": epoch_ms(event_time(finding)),
        "start_time": epoch_ms(finding.first_seen),
        "end_time": epoch_ms(finding.last_seen),
        "timezone_offset": 0,  # every time here is UTC
        "count": finding.event_count,
        "message": finding.title,
        "is_alert": finding.status != "archived",
        "confidence_id": 3 if finding.score is None else 0,  # exact rules are certain
        "metadata": _metadata(finding),
        "cloud": _cloud(finding),
        "finding_info": _finding_info(finding),
        "actor": actor(finding),
        "resources": [_resource(finding)],
        "evidences": evidences(finding, actor(finding)),
        "observables": observables(finding),
        "unmapped": {"trailguard": _unmapped(finding)},
    }
    analyses = anomaly_analyses(finding)
    if analyses:
        payload["anomaly_analyses"] = analyses
    return payload


def _classification(finding: Finding) -> dict[str, Any]:
    """Class, category, activity (Create for version 1, Update after) and severity."""
    activity = ACTIVITY_CREATE if finding.version <= 1 else ACTIVITY_UPDATE
    activity_name = "Create" if activity == ACTIVITY_CREATE else "Update"
    sev_id = severity_id(finding.severity)
    return {
        "activity_id": activity,
        "activity_name": activity_name,
        "category_uid": CATEGORY_UID,
        "category_name": "Findings",
        "class_uid": CLASS_UID,
        "class_name": "Detection Finding",
        "type_uid": CLASS_UID * 100 + activity,
        "type_name": f"Detection Finding: {activity_name}",
        "severity_id": sev_id,
        "severity": _SEVERITY_IDS[sev_id],
    }


def _metadata(finding: Finding) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "version": OCSF_VERSION,
        "product": {
            "name": "trailguard",
            "vendor_name": "trailguard",
            "version": product_version(),
            "feature": {"name": finding.detector},
        },
        "uid": f"{finding.finding_id}:r{finding.revision}",
        "profiles": list(PROFILES),
        "log_name": "findings",
        "log_provider": "trailguard",
        "original_time": event_time(finding).astimezone(UTC).isoformat(),
        "sequence": finding.revision,
    }
    if finding.account_id:
        meta["tenant_uid"] = finding.account_id
    return meta


def _cloud(finding: Finding) -> dict[str, Any]:
    cloud: dict[str, Any] = {"provider": "AWS"}
    if finding.region:
        cloud["region"] = finding.region
    if finding.account_id:
        cloud["account"] = {"uid": finding.account_id, **AWS_ACCOUNT}
    return cloud


def _finding_info(finding: Finding) -> dict[str, Any]:
    info: dict[str, Any] = {
        "uid": finding.finding_id,
        "title": finding.title,
        "desc": finding.description,
        "types": [finding.type],
        "analytic": _analytic(finding),
        "first_seen_time": epoch_ms(finding.first_seen),
        "last_seen_time": epoch_ms(finding.last_seen),
        "data_sources": ["AWS CloudTrail"],
    }
    if finding.created_at:
        info["created_time"] = epoch_ms(finding.created_at)
    if finding.updated_at:
        info["modified_time"] = epoch_ms(finding.updated_at)
    attack = _attack(finding.type)
    if attack:
        info["attacks"] = [attack]
    events = event_ids(finding)
    related = [{"uid": e, "product": {"name": "AWS CloudTrail"}} for e in events]
    # OCSF 1.6 has no related_findings: a related_event is "an event or another finding related
    # to a finding", so an attack sequence names its members (and a member its sequence) there.
    related += [
        {"uid": uid, "type": "Detection Finding", "product": {"name": "trailguard"}}
        for uid in related_findings(finding)
    ]
    if related:
        info["related_events"] = related
        info["related_events_count"] = len(related)
    return info


def related_findings(finding: Finding) -> list[str]:
    """The findings tied to this one: an attack sequence's members (its evidence names them), or
    the sequence a finding belongs to (pipeline/detect/sequences.py)."""
    sequence = finding.evidence.extra.get("sequence")
    members = sequence.get("members") if isinstance(sequence, dict) else None
    ids = [str(m) for m in members] if isinstance(members, list) else []
    return ids + ([finding.sequence_id] if finding.sequence_id else [])


def _analytic(finding: Finding) -> dict[str, Any]:
    is_model = finding.score is not None or finding.model_version is not None
    analytic: dict[str, Any] = {
        "uid": finding.detector,
        "name": finding.detector,
        "type_id": 4 if is_model else 1,
        "type": "Learning (ML/DL)" if is_model else "Rule",
    }
    if finding.model_version:
        analytic["version"] = finding.model_version
    return analytic


def _attack(finding_type: str) -> dict[str, Any] | None:
    technique = technique_for(finding_type)
    if technique is None:
        return None
    attack: dict[str, Any] = {
        "version": ATTACK_VERSION,
        "tactic": _ref(technique.tactic_uid, technique.tactic_name),
    }
    if technique.technique_uid and technique.technique_name:
        attack["technique"] = _ref(technique.technique_uid, technique.technique_name)
    if technique.sub_technique_uid and technique.sub_technique_name:
        attack["sub_technique"] = _ref(technique.sub_technique_uid, technique.sub_technique_name)
    return attack


def _ref(uid: str, name: str) -> dict[str, str]:
    return {"uid": uid, "name": name, "src_url": attack_url(uid)}


def actor(finding: Finding) -> dict[str, Any]:
    """The principal as an OCSF actor (user uid = principal key, an ARN for IAM identities)."""
    user: dict[str, Any] = {"uid": finding.principal, "name": principal_name(finding.principal)}
    kind = principal_kind(finding.principal)
    if kind == "root":
        user.update(type_id=2, type="Admin")
    else:
        user.update(type_id=1, type="User")
    if finding.account_id:
        user["account"] = {"uid": finding.account_id, **AWS_ACCOUNT}
    return {"user": user}


def principal_kind(principal: str) -> str:
    """root, user, role (roles and their sessions) or other, from the principal key."""
    if principal.endswith(":root"):
        return "root"
    if ":user/" in principal:
        return "user"
    if ":role/" in principal or ":assumed-role/" in principal:
        return "role"
    return "other"


def principal_name(principal: str) -> str:
    """The readable tail of a principal key (`alice` of `arn:aws:iam::1:user/alice`)."""
    if principal.endswith(":root"):
        return "root"
    return principal.rsplit("/", 1)[-1] if "/" in principal else principal


def _resource(finding: Finding) -> dict[str, Any]:
    kind = principal_kind(finding.principal)
    resource: dict[str, Any] = {
        "uid": finding.principal,
        "name": principal_name(finding.principal),
        "type": {"user": "AWS::IAM::User", "role": "AWS::IAM::Role"}.get(kind, "Other"),
        "role_id": 1,  # Target: the identity whose credentials did this
        "role": "Target",
    }
    if finding.principal.startswith("arn:"):
        resource["cloud_partition"] = finding.principal.split(":", 2)[1]
    if finding.region:
        resource["region"] = finding.region
    return resource


def _unmapped(finding: Finding) -> dict[str, Any]:
    """What OCSF has no field for, so nothing of the finding is lost on the way."""
    purpose, resource_type, family = split_type(finding.type)
    decided = decision.decision_of(finding)
    return {
        "severity": finding.severity,
        "score": finding.score,
        "version": finding.version,
        "revision": finding.revision,
        "threat_purpose": purpose,
        "resource_type": resource_type,
        "threat_family": family,
        # Sample events are mapped in full into `evidences`; the rest is kept verbatim.
        "evidence": {k: v for k, v in finding.evidence.to_json().items() if k != "events"},
    } | ({"decision": decision.as_json(decided)} if decided else {})
