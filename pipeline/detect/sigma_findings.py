"""Run compiled Sigma rules over the lake and turn their matches into findings.

Every rule of a `SigmaPack` runs in one scan of the `events` view (sql/detect/sigma_matches.sql),
which also groups the matches: one rule's matches by one principal in one account on one UTC day
are one finding, whose id hashes the detector (`sigma.<rule id>`), the principal and the
account/day, so a rerun, or more matches later that day, update it rather than repeat it.

The finding's type and severity come from the rule's ATT&CK tags and level
(models/sigma/classify.py), except that matches made only by an AWS service carrying out an
operational workflow (sql/views/macros.sql `service_workflow`: FIS running an experiment's SSM
command, a maintenance window patching; never a call on identities, keys or logging, never
CloudFormation) are Low at most: SigmaHQ's rules are written for a principal's own calls, and
whoever started the workflow made the decision in a call of their own, which the rules and the
model judge. Its description starts with the rule's credit (id, title, author, pack, licence:
SigmaHQ's DRL 1.1 requires them wherever a match is shown), and its evidence holds the credit
under `sigma` for the exporters (pipeline/findings/credit.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import duckdb
import orjson

from trailguard.models.sigma import classify
from trailguard.models.sigma.pack import SigmaPack, SigmaQuery
from trailguard.pipeline.findings.credit import EVIDENCE_KEY, RuleCredit
from trailguard.pipeline.findings.evidence import Evidence, SampleEvent
from trailguard.pipeline.findings.store import Finding, finding_id
from trailguard.pipeline.sqlfiles import read_sql

MAX_EVIDENCE_EVENTS = 20
MAX_USER_AGENTS = 10
# The most a match made only by an AWS service's workflow is: Sigma's `low`.
SERVICE_SEVERITY = classify.SEVERITIES["low"]
# The evidence's keys in the order an exact rule writes them (pipeline/detect/rule_findings.py).
EVIDENCE_KEYS = ("rule", "why", "regions", "source_ips", "user_agents", "events", "events_omitted")


def sigma_query(queries: tuple[SigmaQuery, ...]) -> str:
    """The one-scan SQL of sql/detect/sigma_matches.sql for these rules (their predicates are SQL
    the backend generated from lake columns and quoted literals)."""
    hits = ", ".join(f"CASE WHEN {q.predicate} THEN {i} END" for i, q in enumerate(queries))
    any_rule = " OR ".join(f"({q.predicate})" for q in queries)
    return read_sql("detect/sigma_matches.sql").format(hits=hits, any_rule=any_rule)


def run_sigma(
    con: duckdb.DuckDBPyConnection,
    pack: SigmaPack,
    since: datetime | None = None,
    *,
    samples: int = MAX_EVIDENCE_EVENTS,
) -> list[Finding]:
    """Findings of every rule of `pack` over events from the UTC day of `since` on (needs the
    `events` view)."""
    if not pack.queries:
        return []
    if since is not None:
        # A finding is a day of matches: recount whole days, or a rerun would shrink it.
        since = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    cursor = con.execute(sigma_query(pack.queries), {"since": since, "samples": samples})
    columns = [d[0] for d in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return [to_finding(pack.queries[row["rule"]], row) for row in rows]


def to_finding(query: SigmaQuery, group: dict[str, Any]) -> Finding:
    """The finding of one rule's matches by one principal in one account on one day."""
    principal, account = str(group["principal_key"]), str(group["account_id"])
    day: date = group["event_date"]
    detector = f"sigma.{query.rule_id}"
    credit = credit_for(query)
    regions: list[str] = group["regions"] or []
    count = int(group["events"])
    service = bool(group["by_service"])
    severity = classify.severity(query.level)
    return Finding(
        finding_id=finding_id(detector, principal, f"{account}/{day:%Y-%m-%d}"),
        type=classify.finding_type(query.tags),
        severity=min(severity, SERVICE_SEVERITY) if service else severity,
        title=query.title,
        description=(
            f"{credit.line()}: {count} matching event(s) by {principal} on {day:%Y-%m-%d}"
            + (f", made by {_services(group)} on its behalf." if service else ".")
        ),
        account_id=account,
        principal=principal,
        region=regions[0] if len(regions) == 1 else None,
        first_seen=group["first_seen"],
        last_seen=group["last_seen"],
        event_count=count,
        detector=detector,
        evidence=_evidence(query, credit, group, regions),
    )


def _services(group: dict[str, Any]) -> str:
    """The services that made the matching calls, as `userIdentity.invokedBy` names them."""
    return ", ".join(group["invokers"] or ["an AWS service"])


def credit_for(query: SigmaQuery) -> RuleCredit:
    """The rule's credit, as the finding carries it."""
    return RuleCredit(
        rule_id=query.rule_id,
        title=query.title,
        author=query.author,
        pack=query.pack,
        path=query.path,
        licence=query.licence,
        level=query.level,
        tags=query.tags,
    )


def _evidence(
    query: SigmaQuery, credit: RuleCredit, group: dict[str, Any], regions: list[str]
) -> Evidence:
    shown: list[dict[str, Any]] = group["samples"] or []
    return Evidence(
        rule=query.rule_id,
        why=query.description,
        regions=tuple(regions),
        source_ips=tuple(group["source_ips"] or ()),
        user_agents=tuple((group["user_agents"] or [])[:MAX_USER_AGENTS]),
        events=tuple(_sample(e) for e in shown),
        events_omitted=max(int(group["events"]) - len(shown), 0),
        key_order=EVIDENCE_KEYS,
        extra={
            "attack": list(classify.techniques(query.tags)),
            "falsepositives": list(query.falsepositives),
            EVIDENCE_KEY: credit.to_json(),
            **({"made_by_service": True} if group["by_service"] else {}),
        },
    )


def _sample(event: dict[str, Any]) -> SampleEvent:
    text = event["request_parameters"]
    request = orjson.loads(text) if text else None
    return SampleEvent(
        event_id=event["event_id"],
        event_time=event["event_time"],
        event_name=event["event_name"],
        event_source=event["event_source"],
        source_ip_address=event["source_ip_address"],
        error_code=event["error_code"],
        request_parameters=request if isinstance(request, dict) else None,
    )
