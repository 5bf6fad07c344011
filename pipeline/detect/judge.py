"""How much an anomaly episode's evidence counts: its kinds of evidence (`evidence_kinds`), the
severity they add up to, and the finding type. The explanation they judge is built by
pipeline/detect/explain.py.

The finding type follows from what was unusual (discovery, persistence, ...).
"""

from __future__ import annotations

from functools import cache

from trailguard.models.registry import load_rules
from trailguard.pipeline.detect.anomaly import Episode, new_contexts
from trailguard.pipeline.detect.explain import api_name
from trailguard.pipeline.findings.evidence import Evidence

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
    a new sensitive API, one new to the peer group too (both only when `api_novelty_counts`; the
    second only for an hour judged against the principal's own profile, not its peers'), a
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
        # Judged against its peers (cold start), a principal's new APIs *are* the ones new to
        # its peers: one measurement, one kind of evidence.
        "new to its peers": novelty
        and any(
            w.row["novel_peer_sensitive_apis"] > 0 and w.row["ctx_cold_start"] == 0
            for w in episode.windows
        ),
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
