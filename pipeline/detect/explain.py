"""Explanations of anomaly findings: why the score, what was unusual, what the profile is.

Every ML finding's evidence names the features that drove it (value against the principal's own
baseline and its peer group's), and lists the unusual APIs, networks, user agents, regions and
countries next to the principal's profiled ones, classed frequent / infrequent / rare as
GuardDuty does. How much that evidence counts (severity, finding type) is judged in
pipeline/detect/judge.py; the baselines are pipeline/detect/feature_baselines.py.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from functools import cache
from typing import Any

import duckdb

from trailguard.pipeline.detect.anomaly import Episode
from trailguard.pipeline.detect.feature_baselines import Baselines
from trailguard.pipeline.features.build import HISTORY
from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.explanation import FeatureContribution, Observed
from trailguard.pipeline.sqlfiles import SQL_DIR, read_sql

TOP_FEATURES = 5
FREQUENT = 0.2  # share of the principal's active hours a value appears in
INFREQUENT = 0.02
Profile = dict[str, dict[str, list[Observed]]]  # dimension -> new / frequent / infrequent / rare
_DIMENSIONS = {
    "api": "apis",
    "network": "networks",
    "user_agent": "user_agents",
    "region": "regions",
    "country": "countries",
}


def explain(episode: Episode, baselines: Baselines, profile: Profile) -> Evidence:
    """The evidence of an anomaly finding, with its episode's profile."""
    first = episode.windows[0].row
    own, peers = baselines.means(episode, str(first["peer_group"]))
    return Evidence(
        summary=summary(episode, profile),
        score=round(episode.score, 4),
        windows=tuple(w.row["window_start"].isoformat() for w in episode.windows),
        cold_start=bool(first.get("ctx_cold_start")),
        peer_group=first["peer_group"],
        history_days=round(float(first.get("ctx_history_days") or 0), 1),
        top_features=_top_features(episode, own, peers),
        unusual={name: tuple(profile[name]["new"]) for name in _DIMENSIONS.values()},
        profile={
            name: {k: tuple(v) for k, v in profile[name].items() if k != "new"}
            for name in _DIMENSIONS.values()
        },
        sensitive_calls=_sensitive(episode),
    )


def _top_features(
    episode: Episode, own: dict[str, float], peers: dict[str, float]
) -> tuple[FeatureContribution, ...]:
    """The features that stood out most (largest deviation in the highest-scoring window)."""
    window = max(episode.windows, key=lambda w: w.score)
    ranked = sorted(window.deviations.items(), key=lambda item: -abs(item[1]))[:TOP_FEATURES]
    return tuple(
        FeatureContribution(
            feature=name,
            value=round(float(window.row[name]), 3),
            principal_baseline=own.get(name),
            peer_baseline=peers.get(name),
            deviation=round(deviation, 2),
        )
        for name, deviation in ranked
    )


def profiles(con: duckdb.DuckDBPyConnection, count: int) -> list[Profile]:
    """The profile of each of `count` episodes registered as `episode_spans` (numbered from 0),
    from one query over `enriched` (sql/detect/episode_profiles.sql)."""
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for episode, *row in con.execute(read_sql("detect/episode_profiles.sql")).fetchall():
        rows[episode].append(tuple(row))
    return [_profile(rows.get(number, [])) for number in range(count)]


def _profile(rows: list[tuple[Any, ...]]) -> Profile:
    """Per dimension: values new in the episode, and the profile classed by frequency."""
    out: Profile = {
        name: {"new": [], "frequent": [], "infrequent": [], "rare": []}
        for name in _DIMENSIONS.values()
    }
    for dim, value, category, hours, events, active in rows:
        bucket = out[_DIMENSIONS[dim]]
        if hours == 0:
            bucket["new"].append(Observed(value, events, category or None))
        else:
            share = hours / max(active, 1)
            label = (
                "frequent" if share >= FREQUENT else "infrequent" if share >= INFREQUENT else "rare"
            )
            bucket[label].append(Observed(value))
    return out


def _sensitive(episode: Episode) -> dict[str, int]:
    names = [c for c in episode.windows[0].row if c.startswith("n_") and c not in _VOLUME]
    return {name[2:]: int(episode.total(name)) for name in names if episode.total(name) > 0}


_VOLUME = frozenset(["n_events", "n_apis", "n_services", "n_regions"])


def summary(episode: Episode, profile: Profile) -> str:
    """One sentence: what was new for this principal."""
    parts = []
    for name in ("apis", "networks", "user_agents", "regions", "countries"):
        new = [str(v.value) for v in profile[name]["new"]]
        if new:
            shown = ", ".join(new[:5]) + (f" (+{len(new) - 5} more)" if len(new) > 5 else "")
            parts.append(f"new {name.replace('_', ' ')}: {shown}")
    span = f"{episode.start:%Y-%m-%d %H:%M}-{episode.end:%H:%M} UTC"
    return f"{episode.principal} behaved unusually {span}; " + ("; ".join(parts) or "no new values")


def history_start(episodes: list[Episode]) -> datetime:
    """Where the profile query must start to cover every episode's trailing history."""
    return min(e.start for e in episodes) - HISTORY


# What each tactic's APIs are for, in GuardDuty's words ("APIs commonly used in ... tactics").
_PURPOSES = {
    "DefenseEvasion": "APIs commonly used to evade defenses were invoked by",
    "Exfiltration": "APIs commonly used to share data outside were invoked by",
    "Persistence": "APIs commonly used to keep access were invoked by",
    "CredentialAccess": "APIs commonly used to obtain credentials were invoked by",
    "Execution": "APIs commonly used to run commands were invoked by",
    "Impact": "APIs commonly used to launch or destroy resources were invoked by",
    "Discovery": "APIs commonly used in discovery were invoked by",
    "InitialAccess": "Unusual APIs were invoked by",
}
# ATT&CK techniques of a tactic's category, when no API of the episode names a precise one.
_CATEGORY_ATTACK = {
    "logging_tamper": "T1562.008",
    "data_sharing": "T1537",
    "iam_mutation": "T1098",
    "persistence": "T1098",
    "credential_access": "T1552",
    "remote_execution": "T1651",
    "compute_launch": "T1578.002",
    "discovery": "T1580",
}


@cache
def api_techniques() -> dict[str, tuple[str, str]]:
    """API name -> (ATT&CK technique, Stratus Red Team technique or ""), from
    sql/reference/api_techniques.csv."""
    path = SQL_DIR / "reference" / "api_techniques.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {r["event_name"]: (r["attack"], r["stratus"]) for r in csv.DictReader(handle)}


def api_name(api: str) -> str:
    """The event name of a profiled API (`lambda:UpdateFunctionCode20150331v2` ->
    `UpdateFunctionCode`): without its service and a Lambda-style version suffix."""
    name = api.split(":", 1)[-1]
    return name.split("20", 1)[0] if name[:1].isupper() and "20" in name else name


def techniques(evidence: Evidence) -> tuple[list[str], list[str]]:
    """(ATT&CK ids, Stratus ids) an episode's new APIs and sensitive calls name."""
    known = api_techniques()
    attack: set[str] = set()
    stratus: set[str] = set()
    for observed in evidence.unusual.get("apis", ()):
        name = api_name(observed.value)
        if name in known:
            attack.add(known[name][0])
            if known[name][1]:
                stratus.add(known[name][1])
        elif observed.category in _CATEGORY_ATTACK:
            attack.add(_CATEGORY_ATTACK[observed.category])
    attack |= {_CATEGORY_ATTACK[c] for c in evidence.sensitive_calls if c in _CATEGORY_ATTACK}
    return sorted(attack), sorted(stratus)


def describe(episode: Episode, evidence: Evidence, kind: str) -> str:
    """One line, GuardDuty-style: what kind of APIs, by whom, and what made them unusual."""
    tactic = kind.split(":", 1)[0]
    lead = _PURPOSES.get(tactic, _PURPOSES["InitialAccess"])
    apis = evidence.unusual.get("apis", ())
    sensitive = [a.value for a in apis if a.category not in (None, "discovery")]
    shown = sensitive or [a.value for a in apis]
    details = []
    if shown:
        more = f" (+{len(shown) - 3} more)" if len(shown) > 3 else ""
        details.append(f"{', '.join(shown[:3])}{more} never called by it before")
    events, hours = int(episode.total("n_events")), len(episode.windows)
    details.append(f"{events} calls in {hours} hour{'s' if hours > 1 else ''}")
    denied = sum(w.row.get("denied_rate", 0.0) * w.row["n_events"] for w in episode.windows)
    if events and denied / events >= 0.1:
        details.append(f"{round(100 * denied / events)} % denied")
    for name, phrase in (
        ("networks", "from a network new to it"),
        ("countries", "from a country new to it"),
        ("user_agents", "with a new user agent"),
        ("regions", "in a region new to it"),
    ):
        values = [v.value for v in evidence.unusual.get(name, ())]
        if values:
            details.append(f"{phrase} ({', '.join(values[:2])})")
    if evidence.cold_start:
        details.append(f"judged against its peers ({evidence.peer_group})")
    return f"{lead} {who(episode.principal)}: " + ", ".join(details)


def who(principal: str) -> str:
    """`user alice`, `role deploy session bob`, `root`: a principal key as descriptions name it."""
    tail = principal.rsplit(":", 1)[-1]
    parts = tail.split("/")
    if tail == "root":
        return "root"
    if parts[0] == "user":
        return f"user {parts[-1]}"
    if parts[0] in ("assumed-role", "role") and len(parts) >= 3:
        return f"role {parts[1]} session {parts[2]}"
    if parts[0] in ("assumed-role", "role") and len(parts) == 2:
        return f"role {parts[1]}"
    return principal
