"""Explanations of anomaly findings: why the score, what was unusual, what the profile is.

Every ML finding's evidence names the features that drove it (value against the principal's own
baseline and its peer group's), and lists the unusual APIs, networks, user agents, regions and
countries next to the principal's profiled ones, classed frequent / infrequent / rare as
GuardDuty does. The finding type follows from what was unusual (discovery, persistence, ...).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import datetime
from functools import cache
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.models.registry import load_rules
from trailguard.pipeline.detect.anomaly import Episode, new_contexts
from trailguard.pipeline.features.build import BASELINE, HISTORY
from trailguard.pipeline.findings.evidence import Evidence, FeatureContribution, Observed
from trailguard.pipeline.sqlfiles import SQL_DIR, read_sql

TOP_FEATURES = 5
FREQUENT = 0.2  # share of the principal's active hours a value appears in
INFREQUENT = 0.02
# Most telling first: the tactic named in the finding type when its APIs were new.
TACTICS = (
    ("logging_tamper", "DefenseEvasion"),
    ("data_sharing", "Exfiltration"),
    ("iam_mutation", "Persistence"),
    ("persistence", "Persistence"),
    ("credential_access", "CredentialAccess"),
    ("remote_execution", "Execution"),
    ("compute_launch", "Impact"),  # GuardDuty's resource hijacking (mining, unusual instances)
    ("discovery", "Discovery"),
)
Profile = dict[str, dict[str, list[Observed]]]  # dimension -> new / frequent / infrequent / rare
_DIMENSIONS = {
    "api": "apis",
    "network": "networks",
    "user_agent": "user_agents",
    "region": "regions",
    "country": "countries",
}


class Baselines:
    """Per-principal and per-peer-group means of each feature before a time, from the table."""

    def __init__(self, table: pa.Table, columns: list[str]) -> None:
        self.columns = columns
        # Hour starts as integers in the column's unit: a datetime object per row cost seconds.
        self.unit = table.schema.field("window_start").type
        self.starts = pc.cast(table.column("window_start"), pa.int64()).to_numpy()
        self.values = {c: table.column(c).to_numpy(zero_copy_only=False) for c in columns}
        # Row numbers (ascending) of each principal and each peer group, found once: comparing
        # every row's key per episode cost a scan of the table per finding.
        self.own_rows = _row_numbers([table.column("principal_key"), table.column("account_id")])
        self.peer_rows = _row_numbers([table.column("peer_group")])

    def means(self, episode: Episode, peer_group: str) -> tuple[dict[str, float], dict[str, float]]:
        """(principal's, peer group's) mean per feature over the trailing baseline."""
        own = self.own_rows.get((episode.principal, episode.account_id), _NO_ROWS)
        peers = self.peer_rows.get((peer_group,), _NO_ROWS)
        return self._mean(self._before(own, episode)), self._mean(self._before(peers, episode))

    def _before(self, rows: Any, episode: Episode) -> Any:
        starts = self.starts[rows]
        end, start = self._moment(episode.start), self._moment(episode.start - BASELINE)
        return rows[(starts < end) & (starts >= start)]

    def _moment(self, value: datetime) -> int:
        """`value` as an integer of `starts` (the same unit and epoch)."""
        return int(pa.scalar(value, type=self.unit).cast(pa.int64()).as_py())

    def _mean(self, rows: Any) -> dict[str, float]:
        if not len(rows):
            return {}
        return {c: round(float(self.values[c][rows].mean()), 3) for c in self.columns}


_NO_ROWS = np.zeros(0, dtype=np.int64)


def _row_numbers(columns: list[pa.ChunkedArray]) -> dict[tuple[Any, ...], Any]:
    """Row numbers (ascending) of each distinct combination of the columns' values (nulls too)."""
    codes = np.zeros(len(columns[0]), dtype=np.int64)
    dictionaries: list[list[Any]] = []
    for column in columns:
        encoded = pc.dictionary_encode(column, null_encoding="encode").combine_chunks()
        dictionaries.append(encoded.dictionary.to_pylist())
        codes = codes * len(dictionaries[-1]) + encoded.indices.to_numpy(zero_copy_only=False)
    order = np.argsort(codes, kind="stable")  # stable: each group's rows stay ascending
    found: dict[tuple[Any, ...], Any] = {}
    for rows in np.split(order, np.flatnonzero(np.diff(codes[order])) + 1):
        if len(rows):
            found[_decode(int(codes[rows[0]]), dictionaries)] = rows
    return found


def _decode(code: int, dictionaries: list[list[Any]]) -> tuple[Any, ...]:
    """The values a combined code stands for (see `_row_numbers`)."""
    values = []
    for dictionary in reversed(dictionaries):
        code, index = divmod(code, len(dictionary))
        values.append(dictionary[index])
    return tuple(reversed(values))


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


def finding_type(episode: Episode, evidence: Evidence) -> str:
    """GuardDuty-style type from what was unusual: the tactic of the most telling new APIs."""
    new_categories = {a.category for a in evidence.unusual.get("apis", ())}
    for category, tactic in TACTICS:
        if category in new_categories:
            return f"{tactic}:IAMUser/AnomalousBehavior"
    for category, tactic in TACTICS:
        if evidence.sensitive_calls.get(category):
            return f"{tactic}:IAMUser/AnomalousBehavior"
    return "InitialAccess:IAMUser/AnomalousBehavior"


@cache
def judged_apis() -> frozenset[str]:
    """The event names an exact rule judges one call of, reading its request (who a policy
    grants, which network an ingress opens to, whether a policy is admin...): the names of every
    registered single-event rule. A counting rule's names are not: one call below its count is
    not judged."""
    return frozenset(n for r in load_rules().values() if r.threshold is None for n in r.event_names)


def api_novelty_counts(episode: Episode, evidence: Evidence) -> bool:
    """Whether the episode's new sensitive APIs count as evidence. They do when one of them is a
    call no exact rule judges (reading a secret, creating a snapshot, deactivating a key), or
    when the episode acts from somewhere new (a new network, country or agent, an attack tool).

    A principal making, from where it always works and with the tool it always uses, only changes
    whose requests the exact rules read and found harmless (a bucket policy inside the
    organisation, an ingress from a private range, a role's trust in its own accounts, a
    non-admin policy, ordinary instance types) is doing planned work: a pipeline applying its
    code, a region being built out. Had a request been dangerous, its rule's finding says so.
    """
    sensitive = [
        a for a in evidence.unusual.get("apis", ()) if a.category not in (None, "discovery")
    ]
    unjudged = any(api_name(a.value) not in judged_apis() for a in sensitive)
    moved = any(bool(new_contexts(w.row)) for w in episode.windows)
    return unjudged or moved


def evidence_kinds(episode: Episode, evidence: Evidence) -> list[str]:
    """The independent kinds of evidence an episode carries (each counts once, however strong):
    a new sensitive API, one new to the peer group too (both only when `api_novelty_counts`), a
    new place (network with a new country or agent), an attack tool's agent, log tampering, a
    jump in AccessDenied."""
    total = episode.total
    new_place = any(
        w.row["novel_networks"] > 0
        and (w.row["novel_countries"] > 0 or w.row["novel_user_agents"] > 0)
        for w in episode.windows
    )
    denied_jump = any(
        w.row["denied_rate_delta"] >= 0.5 and w.row["n_events"] >= 10 for w in episode.windows
    )
    novelty = api_novelty_counts(episode, evidence)
    found = {
        "new sensitive API": novelty
        and any(a.category not in (None, "discovery") for a in evidence.unusual.get("apis", ())),
        "new to its peers": novelty and total("novel_peer_sensitive_apis") > 0,
        "new place": new_place or total("novel_countries") > 0,
        "attack tool": total("n_hostile_agent") > 0,
        "log tampering": total("n_logging_tamper") > 0,
        "AccessDenied jump": denied_jump,
    }
    return [name for name, present in found.items() if present]


def severity(episode: Episode, threshold: float, evidence: Evidence) -> float:
    """2.5, plus 1 per kind of evidence (`evidence_kinds`) and up to 1.5 for the score's margin
    over the threshold (2.5-8.5): one kind of evidence alone is Low, two make Medium, four or
    more with a clear margin High. The count, not any one feature, drives it: a single odd
    thing has an innocent explanation far more often than several at once."""
    kinds = len(evidence_kinds(episode, evidence))
    value = 2.5 + kinds + min(1.5, 15 * max(episode.score - threshold, 0.0))
    return round(min(value, 8.5), 1)


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
