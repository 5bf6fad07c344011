"""Run the exact rules of `models/rules/` over the lake and turn their matches into findings.

Each rule's prefilter runs in DuckDB (sql/detect/rule_candidates.sql), so the Python predicate
only judges the few candidate events; a counting rule's matches are then kept only where they
reach its count within its window (pipeline/detect/rule_windows.py). Matches of one rule,
principal and account on one UTC day form one finding (its episode), so a rerun, or more matches
later that day, update the finding rather than repeat it.

A rule about *who* acted rather than what was done (root used: `Rule.episode == "actor"`) has one
finding per principal, account and place instead: the network the calls came from (ASN
organisation, else /24, else the service name) and the agent's family. The account's root
signing in every other week from the office with a browser updates one finding (count, last
seen), as GuardDuty aggregates a finding's repeats; root from a new network or with a new tool
is a new finding. The price: an archived finding stays archived when it is updated, so once an
analyst has archived "root from the office, console", later uses from there are recorded on it
but raise nothing new. Such rules are judged over the whole lake on every run (`since` is not
applied), so a rerun never shrinks the count of a finding that spans weeks.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pyarrow as pa

from trailguard.models.registry import load_rules
from trailguard.models.rules.base import Event, Rule, RuleContext
from trailguard.pipeline.detect.rule_windows import distinct_keys, met_windows
from trailguard.pipeline.features.enrich import to_ip_table
from trailguard.pipeline.findings.evidence import Evidence, SampleEvent
from trailguard.pipeline.findings.store import Finding, finding_id
from trailguard.pipeline.findings.suppression import Network
from trailguard.pipeline.sqlfiles import read_sql

MAX_EVIDENCE_EVENTS = 20
# The keys of the evidence, in the order it has always been stored in (written even when empty:
# the stored evidence of the same finding must not change).
EVIDENCE_KEYS = ("rule", "why", "regions", "source_ips", "user_agents", "events", "events_omitted")
EXACT_RULES = "rules."  # the detector name of every models/rules/ finding starts so


def rule_detector(rule_id: str) -> str:
    """The `detector` of a rule's findings: `rules.<rule id>` (the rule's module name)."""
    return EXACT_RULES + rule_id


def index_lake(con: duckdb.DuckDBPyConnection, known_ips: pa.Table) -> pa.Table:
    """Build `rule_index` from one scan of the `events` view (sql/detect/rule_index.sql);
    return the lake's addresses that `known_ips` (an `ip_info` table) does not hold, looked up."""
    con.execute(read_sql("detect/rule_index.sql"), {"counted_names": counted_names()})
    con.execute(read_sql("detect/counted_index.sql"))
    con.register("known_ips", known_ips)
    try:
        rows = con.execute(read_sql("detect/new_addresses.sql")).fetchall()
    finally:
        con.unregister("known_ips")
    return to_ip_table(sorted(str(row[0]) for row in rows))


def counted_names() -> list[str]:
    """The event names of the counting rules (rule_index keeps what their keys read)."""
    rules = load_rules().values()
    return sorted({name for rule in rules if rule.threshold for name in rule.event_names})


def workloads(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """Principal keys and role ARNs of EC2/Lambda/ECS workloads (sql/detect/workloads.sql;
    needs `rule_index`)."""
    return frozenset(
        str(row[1]) for row in con.execute(read_sql("detect/workloads.sql")).fetchall()
    )


def rule_context(
    con: duckdb.DuckDBPyConnection,
    trusted: tuple[Network, ...] = (),
    trusted_accounts: tuple[str, ...] = (),
) -> RuleContext:
    """The lake-wide facts the rules see (needs `rule_index`): workloads, the organisation's
    accounts (with the operator's `trusted_accounts`: sharing with them is not exfiltration),
    trail buckets and admin roles (sql/detect/rule_context.sql), trusted networks."""
    facts: dict[str, set[str]] = defaultdict(set)
    for kind, value in con.execute(read_sql("detect/rule_context.sql")).fetchall():
        facts[str(kind)].add(str(value))
    return RuleContext(
        workloads=workloads(con),
        trusted_networks=trusted,
        org_accounts=frozenset(facts["org_account"]) | frozenset(trusted_accounts),
        trail_buckets=frozenset(facts["trail_bucket"]),
        admin_roles=frozenset(facts["admin_role"]),
    )


def candidates(
    con: duckdb.DuckDBPyConnection, rule: Rule, context: RuleContext, since: datetime | None
) -> list[tuple[str, date, str]]:
    """(event_id, event_date, account_id) of the events from `since` on passing a rule's
    prefilter (needs `rule_index`)."""
    if rule.threshold is not None:
        return met_windows(con, rule, context, since)
    params = {
        "since": since,
        "event_names": sorted(rule.event_names),
        "identity_types": sorted(rule.identity_types),
        "outside_aws": rule.outside_aws,
        "agents": list(rule.agents),
        "workloads_only": rule.workloads_only,
        "workloads": sorted(context.workloads),
    }
    rows = con.execute(read_sql("detect/rule_candidates.sql"), params).fetchall()
    return [(str(row[0]), row[1], str(row[2])) for row in rows]


def named_candidates(
    con: duckdb.DuckDBPyConnection, rules: Iterable[Rule], since: datetime | None
) -> dict[str, list[tuple[str, date, str]]]:
    """The candidates of rules whose prefilter is event names and identity types alone, by rule,
    from one join (sql/detect/rule_candidates_named.sql; needs `rule_index`)."""
    names = [(r.rule_id, n, sorted(r.identity_types)) for r in rules for n in sorted(r.event_names)]
    table = pa.table(
        {
            "rule_id": [n[0] for n in names],
            "event_name": [n[1] for n in names],
            "identity_types": pa.array([n[2] for n in names], pa.list_(pa.string())),
        }
    )
    found: dict[str, list[tuple[str, date, str]]] = {r.rule_id: [] for r in rules}
    con.register("rule_names", table)
    try:
        rows = con.execute(read_sql("detect/rule_candidates_named.sql"), {"since": since})
        for rule_id, event_id, day, account in rows.fetchall():
            found[str(rule_id)].append((str(event_id), day, str(account)))
    finally:
        con.unregister("rule_names")
    return found


def _named_only(rule: Rule) -> bool:
    return (
        bool(rule.event_names)
        and rule.threshold is None
        and not (rule.outside_aws or rule.agents or rule.workloads_only)
    )


def events_by_id(
    con: duckdb.DuckDBPyConnection,
    ids: list[str],
    partitions: Iterable[tuple[date, str]] | None = None,
) -> dict[str, Event]:
    """Full lake rows of the events with these ids, as `Event`s by id; only the files of
    `partitions` ((event_date, account_id) pairs the events lie in) are read, when given."""
    if not ids:
        return {}
    wanted = None
    if partitions is not None:
        wanted = [{"event_date": d, "account_id": a} for d, a in sorted(set(partitions))]
    params = {"ids": ids, "partitions": wanted}
    cursor = con.execute(read_sql("detect/events_by_id.sql"), params)
    columns = [d[0] for d in cursor.description or []]
    rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    return {str(row["event_id"]): Event(row, row.pop("inside_aws")) for row in rows}


def run_rules(
    con: duckdb.DuckDBPyConnection,
    trusted: tuple[Network, ...] = (),
    since: datetime | None = None,
    trusted_accounts: tuple[str, ...] = (),
) -> list[Finding]:
    """Findings of every registered rule over events from the UTC day of `since` on (needs
    `rule_index` and every address of the lake in `ip_info`; `trusted` networks are never
    outside AWS)."""
    if since is not None:
        # A rule finding is a day of matches: recount whole days, or a rerun would shrink it.
        since = since.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    context = rule_context(con, trusted, trusted_accounts)
    rules = load_rules()
    found = named_candidates(con, [r for r in rules.values() if _named_only(r)], since)
    for rule_id, rule in rules.items():
        if rule_id not in found:
            # An actor episode spans days: recount it whole, or a rerun would shrink it.
            found[rule_id] = candidates(con, rule, context, _since(rule, since))
    every = {row for rows in found.values() for row in rows}
    events = events_by_id(con, sorted({r[0] for r in every}), {(r[1], r[2]) for r in every})
    ids = {rule_id: [r[0] for r in rows] for rule_id, rows in found.items()}
    findings: list[Finding] = []
    for rule_id, rule in rules.items():
        judged = sorted((events[i] for i in set(ids[rule_id])), key=_order)
        # A counting rule's candidates are its matches already (met_windows).
        matched = judged if rule.threshold else [e for e in judged if rule.matches(e, context)]
        findings.extend(to_findings(rule, matched, context))
    return findings


def _since(rule: Rule, since: datetime | None) -> datetime | None:
    """Where a rule's candidates start: `since`, or the lake's start for an actor episode."""
    return None if rule.episode == "actor" else since


def _order(event: Event) -> tuple[object, str]:
    return event.get("event_time"), str(event.get("event_id"))


def to_findings(
    rule: Rule, events: Iterable[Event], context: RuleContext | None = None
) -> list[Finding]:
    """One finding per (principal, account, episode) of a rule's matching events: the UTC day,
    or for an actor rule the place (`episode_of`)."""
    groups: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
    for event in events:
        key = (str(event.get("principal_key")), str(event.account_id), episode_of(rule, event))
        groups[key].append(event)
    context = context or RuleContext()
    return [_finding(rule, key, group, context) for key, group in sorted(groups.items())]


def episode_of(rule: Rule, event: Event) -> str:
    """The episode an event of the rule belongs to: its UTC day (`2026-10-10`), or for an actor
    rule where it came from: network and agent family (`Example ISP/console`)."""
    if rule.episode == "actor":
        network = event.get("source_network") or event.get("source_ip_address") or "unknown"
        return f"{network}/{event.get('ua_family') or 'none'}"
    return f"{event.get('event_time'):%Y-%m-%d}"


def _finding(
    rule: Rule, key: tuple[str, str, str], events: list[Event], context: RuleContext
) -> Finding:
    principal, account, episode = key
    times = [e.get("event_time") for e in events]
    regions = sorted({str(e.get("aws_region")) for e in events if e.get("aws_region")})
    detector = rule_detector(rule.rule_id)
    return Finding(
        finding_id=finding_id(detector, principal, f"{account}/{episode}"),
        type=rule.finding_type,
        severity=rule.severity,
        title=rule.title,
        description=_description(rule, events),
        account_id=account,
        principal=principal,
        region=regions[0] if len(regions) == 1 else None,
        first_seen=min(times),
        last_seen=max(times),
        event_count=len(events),
        detector=detector,
        evidence=_evidence(rule, events, regions, context),
    )


def _description(rule: Rule, events: list[Event]) -> str:
    """The rule's line for the first event, GuardDuty-style, and how many events followed (on
    which days, for an actor rule's finding that spans several)."""
    line = rule.description_of(events[0]).rstrip(".")
    if len(events) == 1:
        return f"{line}."
    days = sorted({f"{e.get('event_time'):%Y-%m-%d}" for e in events})
    if len(days) == 1:
        return f"{line} ({len(events)} events on {days[0]})."
    return f"{line} ({len(events)} events on {len(days)} days, {days[0]} to {days[-1]})."


def _evidence(
    rule: Rule, events: list[Event], regions: list[str], context: RuleContext
) -> Evidence:
    shown = events[:MAX_EVIDENCE_EVENTS]
    return Evidence(
        rule=rule.rule_id,
        why=rule.description,
        regions=tuple(regions),
        source_ips=tuple(sorted({str(e.get("source_ip_address")) for e in events})),
        user_agents=tuple(sorted({str(e.get("user_agent")) for e in events})[:10]),
        events=tuple(_sample(e) for e in shown),
        events_omitted=max(len(events) - len(shown), 0),
        key_order=EVIDENCE_KEYS,
        extra=_technique(rule, events, context),
    )


def _technique(rule: Rule, events: list[Event], context: RuleContext) -> dict[str, Any]:
    """What the rule detects (ATT&CK, Stratus ids) and, for a counting rule, what it counted."""
    extra: dict[str, Any] = {"attack": list(rule.attack), "stratus": list(rule.stratus)}
    if rule.threshold is not None:
        keys = distinct_keys(rule, events, context)
        extra["threshold"] = {
            "window_minutes": rule.threshold.window.total_seconds() / 60,
            "count": rule.threshold.count,
            "distinct": len(keys),
            "keys": keys[:MAX_EVIDENCE_EVENTS],
        }
    return extra


def _sample(event: Event) -> SampleEvent:
    return SampleEvent(
        event_id=event.get("event_id"),
        event_time=event.get("event_time"),
        event_name=event.get("event_name"),
        event_source=event.get("event_source"),
        source_ip_address=event.get("source_ip_address"),
        error_code=event.get("error_code"),
        request_parameters=event.request or None,
    )
