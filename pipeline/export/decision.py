"""An analyst's decision on a finding, as every exporter carries it. Pure.

`trailguard archive` / `unarchive` (pipeline/findings/triage.py) keep the latest decision in the
finding's `status_by` (a person, or `suppression` when a suppression rule archived it),
`status_reason` and `status_at`, and give the finding a new revision, so each destination's
cursor sends it again. What each format makes of it:

- OCSF: `status_id` 5 Archived (not an alert); a person's unarchive is 2 In Progress (the enum's
  New is "yet to be reviewed", and a person has just reviewed it and kept it open); the decision
  in `status_detail`, a person's reason in `comment` ("a user provided comment about the
  finding"), and who/why/when verbatim in `unmapped.trailguard.decision`.
- Security Hub: the decision is the customer's side of the finding, which only
  BatchUpdateFindings may change (BatchImportFindings cannot update Workflow or Note once a
  finding exists): Workflow SUPPRESSED when archived ("reviewed, no action needed"), NEW when a
  person unarchived it (NOTIFIED would say the resource owner was told, which nobody did), and a
  Note with the reason, `UpdatedBy` who decided.
- CEF: labelled flex strings and the standard `reason` key (pipeline/export/syslog.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.triage import SUPPRESSION_ACTOR

MAX_UPDATE = 100  # BatchUpdateFindings' limit of FindingIdentifiers per call
NOTE_MAX = 512  # ASFF Note.Text and NoteUpdate.UpdatedBy: at most 512 characters


@dataclass(frozen=True)
class Decision:
    """The latest archive or unarchive of a finding: who, why, when."""

    archived: bool
    by: str  # a person's name, or `suppression`
    reason: str
    at: datetime | None

    @property
    def by_person(self) -> bool:
        """True when a person decided, False for a suppression rule."""
        return self.by != SUPPRESSION_ACTOR


def decision_of(finding: Finding) -> Decision | None:
    """The finding's latest decision, None while nobody (and no rule) has decided."""
    if not finding.status_by:
        return None
    reason = (finding.status_reason or "").strip()
    return Decision(finding.status == "archived", finding.status_by, reason, finding.status_at)


def describe(decision: Decision) -> str:
    """One line for people: `Archived by ana: reason`, `Archived by a suppression rule: ...`."""
    verb = "Archived" if decision.archived else "Unarchived"
    who = decision.by if decision.by_person else "a suppression rule"
    return f"{verb} by {who}" + (f": {decision.reason}" if decision.reason else "")


def ocsf_status(finding: Finding) -> tuple[int, str]:
    """OCSF Detection Finding `status_id` and its caption."""
    if finding.status == "archived":
        return 5, "Archived"
    decision = decision_of(finding)
    if decision is not None and decision.by_person:
        return 2, "In Progress"  # reviewed by a person and deliberately kept open
    return 1, "New"


def ocsf_fields(finding: Finding) -> dict[str, Any]:
    """`status_detail` and, for a person's decision, `comment`; nothing while undecided."""
    decision = decision_of(finding)
    if decision is None:
        return {}
    fields: dict[str, Any] = {"status_detail": describe(decision)}
    if decision.by_person and decision.reason:
        fields["comment"] = decision.reason
    return fields


def as_json(decision: Decision) -> dict[str, Any]:
    """The decision verbatim (`unmapped.trailguard.decision`), for a receiver's own parsing."""
    at = decision.at.astimezone(UTC).isoformat() if decision.at else None
    action = "archive" if decision.archived else "unarchive"
    return {"action": action, "by": decision.by, "reason": decision.reason, "at": at}


def workflow_status(decision: Decision) -> str:
    """ASFF Workflow.Status of a decision: SUPPRESSED when archived, NEW when unarchived."""
    return "SUPPRESSED" if decision.archived else "NEW"


def workflow_requests(findings: Sequence[Finding], product_arn: str) -> list[dict[str, Any]]:
    """The BatchUpdateFindings requests that set the decided findings' Workflow and Note, all of
    one product (one account). A request carries one Workflow and one Note for every finding
    it names, so findings decided alike share a request (at most 100 per call); undecided
    findings have none."""
    groups: dict[tuple[str, str, str], list[str]] = {}
    for finding in findings:
        decision = decision_of(finding)
        if decision is None:
            continue
        text = (decision.reason or describe(decision))[:NOTE_MAX]
        key = (workflow_status(decision), text, decision.by[:NOTE_MAX])
        groups.setdefault(key, []).append(finding.finding_id)
    requests = []
    for (status, text, by), ids in groups.items():
        for start in range(0, len(ids), MAX_UPDATE):
            chunk = ids[start : start + MAX_UPDATE]
            requests.append(
                {
                    "FindingIdentifiers": [{"Id": i, "ProductArn": product_arn} for i in chunk],
                    "Workflow": {"Status": status},
                    "Note": {"Text": text, "UpdatedBy": by},
                }
            )
    return requests
