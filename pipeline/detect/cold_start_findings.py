"""Findings of the cold-start scorer (models/cold_start.py): history-free signals, from the first
hour of a lake.

`sql/detect/cold_start.sql` computes one row per principal and hour from the events; each hour is
scored by its signals; adjacent hours of one principal with a signal form an episode (at most
`MAX_EPISODE` long, so that a finding stays about one burst); an episode whose signals add up to
Medium (4.0) or more is a finding, described in one GuardDuty-style line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa

from trailguard.models.cold_start import HIGH_RISK, MEDIUM, Signal, score, severity
from trailguard.pipeline.detect.explain import who
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding, finding_id
from trailguard.pipeline.sqlfiles import SQL_DIR, read_sql

COLD_DETECTOR = "cold_start"
MAX_EPISODE = timedelta(hours=12)
_FAMILIES = {  # the finding type's threat family, by the strongest signal's tactic
    "Discovery": "EnumerationSweep",
    "PenTest": "OffensiveTool",
    "UnauthorizedAccess": "HostingProviderCaller",
    "PrivilegeEscalation": "RoleChaining",
    "Persistence": "FirstUseInOrganization",
}
Row = dict[str, Any]


def read_reference(name: str) -> pa.Table:
    """A reference CSV of `sql/reference/` as an Arrow table of strings (patterns lower-cased)."""
    with (SQL_DIR / "reference" / name).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    columns = list(rows[0]) if rows else ["pattern"]
    data = {c: [r[c].lower() if c == "pattern" else r[c] for r in rows] for c in columns}
    return pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})


def hours(mem: duckdb.DuckDBPyConnection, since: datetime | None) -> list[Row]:
    """The principal-hours of the lake from `since` (needs the `events` view, `ip_info` and
    `api_categories` registered), in key order."""
    mem.register("hosting_networks", read_reference("hosting_networks.csv"))
    mem.register("offensive_agents", read_reference("offensive_agents.csv"))
    try:
        params = {"since": since, "high_risk": list(HIGH_RISK)}
        mem.execute(read_sql("detect/cold_start.sql"), params)
    finally:
        mem.unregister("hosting_networks")
        mem.unregister("offensive_agents")
    table = mem.sql(
        "SELECT * FROM cold_start_hours ORDER BY principal_key, account_id, window_start"
    )
    rows: list[Row] = table.to_arrow_table().to_pylist()
    return rows


@dataclass(frozen=True)
class Burst:
    """Adjacent scored hours of one principal: one finding when their signals reach Medium."""

    hours: list[tuple[Row, list[Signal]]]

    @property
    def signals(self) -> list[Signal]:
        """Every signal of the burst once, strongest first."""
        seen = {s.name: s for _, fired in self.hours for s in fired}
        return sorted(seen.values(), key=lambda s: -s.points)

    @property
    def first(self) -> Row:
        """The first hour's row."""
        return self.hours[0][0]

    def total(self, column: str) -> int:
        """A count summed over the hours."""
        return sum(int(row[column]) for row, _ in self.hours)

    def values(self, column: str) -> list[str]:
        """A list column's values over the hours, once each, in order."""
        out: list[str] = []
        for row, _ in self.hours:
            out += [str(v) for v in row[column] or () if str(v) not in out]
        return out


def bursts(rows: list[Row]) -> Iterator[Burst]:
    """Runs of adjacent hours with at least one signal, per principal and account."""
    current: list[tuple[Row, list[Signal]]] = []
    for row in rows:
        fired = score(row)
        if not fired:
            continue
        if current and not _continues(current, row):
            yield Burst(current)
            current = []
        current.append((row, fired))
    if current:
        yield Burst(current)


def _continues(current: list[tuple[Row, list[Signal]]], row: Row) -> bool:
    first, last = current[0][0], current[-1][0]
    same = all(last[k] == row[k] for k in ("principal_key", "account_id"))
    gap = row["window_start"] - last["window_start"]
    return (
        same
        and gap <= timedelta(hours=1)
        and row["window_start"] - first["window_start"] < (MAX_EPISODE)
    )


def cold_start_findings(mem: duckdb.DuckDBPyConnection, since: datetime | None) -> list[Finding]:
    """The cold-start findings of the lake from `since`."""
    return [f for b in bursts(hours(mem, since)) if (f := to_finding(b)) is not None]


def to_finding(burst: Burst) -> Finding | None:
    """The finding of a burst, or None below Medium."""
    fired = burst.signals
    value = severity(fired)
    if value < MEDIUM:
        return None
    first = burst.first
    principal, account = str(first["principal_key"]), str(first["account_id"])
    start: datetime = first["window_start"]
    tactic = fired[0].tactic
    regions = burst.values("regions")
    attack = sorted({t for s in fired for t in s.attack})
    stratus = sorted({t for s in fired for t in s.stratus} | set(_stratus(burst)))
    text = describe(burst)
    evidence = Evidence(
        summary=text,
        score=value,
        windows=tuple(row["window_start"].isoformat() for row, _ in burst.hours),
        source_ips=tuple(burst.values("source_ips")[:20]),
        user_agents=tuple(burst.values("user_agents")[:10]),
        regions=tuple(regions),
        why="; ".join(f"{s.reason} (+{s.points:g})" for s in fired),
        extra={
            "attack": attack,
            "stratus": stratus,
            "signals": {s.name: s.points for s in fired},
            "counts": {
                c: burst.total(c)
                for c in ("n_events", "n_denied", "n_assume", "denied_after_whoami")
            },
        },
    )
    return Finding(
        finding_id=finding_id(COLD_DETECTOR, principal, f"{account}/{start:%Y-%m-%dT%H}"),
        type=f"{tactic}:IAMUser/{_FAMILIES[tactic]}",
        severity=value,
        title=f"{tactic}: {fired[0].reason.split(':')[0].rstrip('.')} by {who(principal)}",
        description=text,
        account_id=account,
        principal=principal,
        region=regions[0] if len(regions) == 1 else None,
        first_seen=min(row["first_time"] for row, _ in burst.hours),
        last_seen=max(row["last_time"] for row, _ in burst.hours),
        event_count=burst.total("n_events"),
        detector=COLD_DETECTOR,
        evidence=evidence,
        score=value,
    )


def _stratus(burst: Burst) -> list[str]:
    """Stratus Red Team techniques the burst's agent names (it tags its own calls)."""
    return ["stratus-red-team"] if "stratus" in burst.values("tools") else []


_LEADS = {
    "Discovery": "APIs commonly used in discovery were invoked by {who}",
    "PenTest": "APIs were invoked by {who} with the offensive tool {tool}",
    "UnauthorizedAccess": "APIs were invoked by {who} from a {kind} network",
    "PrivilegeEscalation": "{who} assumed roles {assume} times with a long-term access key",
    "Persistence": "{who} made the organisation's first call of {apis}",
}
_KINDS = {"hosting": "hosting-provider", "anonymiser": "VPN or anonymising"}


def describe(burst: Burst) -> str:
    """One line, GuardDuty-style: what happened, then the numbers that make it suspicious."""
    fired = burst.signals
    names = {s.name for s in fired}
    first_time = min(row["first_time"] for row, _ in burst.hours)
    last_time = max(row["last_time"] for row, _ in burst.hours)
    minutes = max(1, round((last_time - first_time).total_seconds() / 60))
    events, denied = burst.total("n_events"), burst.total("n_denied")
    n_apis = max(int(row["n_apis"]) for row, _ in burst.hours)
    hosting = burst.values("hosting")
    kinds = {str(row["hosting_kind"]) for row, _ in burst.hours if row["hosting_kind"]}
    lead = _LEADS[fired[0].tactic].format(
        who=who(str(burst.first["principal_key"])),
        tool=", ".join(burst.values("tools")),
        kind=_KINDS["anonymiser" if "anonymiser" in kinds else "hosting"],
        assume=burst.total("n_assume"),
        apis=", ".join(burst.values("org_first_apis")[:3]),
    )
    details = [f"{n_apis} distinct APIs in {minutes} minutes" if n_apis > 1 else ""]
    if denied:
        details.append(f"{round(100 * denied / max(events, 1))} % denied")
    if "whoami_then_denied" in names:
        details.append("after a GetCallerIdentity")
    if "offensive_tool" in names and fired[0].name != "offensive_tool":
        details.append(f"with {', '.join(burst.values('tools'))}")
    if "role_hop" in names and fired[0].name != "role_hop":
        details.append(f"{burst.total('n_assume')} AssumeRole calls")
    if hosting:
        new = any(row["new_to_org"] for row, _ in burst.hours)
        where = f"from {hosting[0]}"
        details.append(where + (", a network never seen in this organisation" if new else ""))
    return lead + ": " + ", ".join(d for d in details if d)
