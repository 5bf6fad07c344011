"""A finding's evidence as OCSF `evidences`, `anomaly_analyses` and `observables`. Pure.

The evidence is typed (pipeline/findings/evidence.py, which also reads its older spellings): the
anomaly model's `unusual` values per dimension (apis, networks, user_agents, regions, countries)
against the principal's `profile` bucketed as GuardDuty's is (frequent, infrequent, rare), and its
`top_features` against their baselines; a rule's sample `events`; the finding's `source_ips` and
`user_agents`. Anything else is kept as `data` of one evidence artifact: nothing is dropped.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from trailguard.pipeline.findings.evidence import SampleEvent
from trailguard.pipeline.findings.explanation import Observed
from trailguard.pipeline.findings.store import Finding

# Mapped to OCSF fields of their own; `profiled` and `features` are older spellings.
_KNOWN_KEYS = {"unusual", "profiled", "profile", "features", "top_features", "events"}
_PARAMETERS = {
    "apis": "api",
    "networks": "network",
    "asns": "asn",
    "user_agents": "user_agent",
    "regions": "region",
    "countries": "country",
}
_ASN = re.compile(r"^(?:AS)?(?P<number>\d+)\b", re.IGNORECASE)
MAX_OBSERVABLES = 50

Observation = dict[str, Any]


def parameter_name(key: str) -> str:
    """The singular observation parameter of an evidence key (`apis` -> `api`)."""
    return _PARAMETERS.get(key, key)


def _observations(values: tuple[Observed, ...]) -> list[Observation]:
    return [
        {"value": v.value} if v.events is None else {"value": v.value, "count": v.events}
        for v in values
    ]


def anomaly_analyses(finding: Finding) -> list[dict[str, Any]]:
    """Unusual behaviour against the profiled one, and feature values against their baselines."""
    evidence = finding.evidence
    anomalies = [
        _pattern(parameter_name(key), "Frequency Analysis", "UNSEEN", _observations(values))
        for key, values in evidence.unusual.items()
    ]
    baselines = [
        _pattern(parameter_name(key), "Frequency Analysis", pattern.upper(), _observations(values))
        for key, patterns in evidence.profile.items()
        for pattern, values in patterns.items()
    ]
    for feature in evidence.top_features:
        name = feature.feature
        anomalies.append(_feature(name, feature.value, _direction(feature.deviation)))
        baselines.append(_feature(name, feature.principal_baseline, "BASELINE"))
        baselines.append(_feature(name, feature.peer_baseline, "PEER"))
    anomalies = [a for a in anomalies if a["observations"]]
    baselines = [b for b in baselines if b["observations"]]
    if not anomalies:
        return []
    target = {"name": finding.principal, "type": "Principal"}
    analysis: dict[str, Any] = {"analysis_targets": [target], "anomalies": anomalies}
    if baselines:
        analysis["baselines"] = baselines
    return [analysis]


def _direction(deviation: float | None) -> str:
    if isinstance(deviation, int | float) and deviation != 0:
        return "ABOVE_BASELINE" if deviation > 0 else "BELOW_BASELINE"
    return "ANOMALOUS"


def _pattern(parameter: str, kind: str, pattern: str, found: list[Observation]) -> dict[str, Any]:
    return {
        "observation_parameter": parameter,
        "observation_type": kind,
        "observed_pattern": pattern,
        "observations": found,
    }


def _feature(name: str, value: float | None, pattern: str) -> dict[str, Any]:
    found = [] if value is None else [{"value": str(value)}]
    return _pattern(name, "Feature Contribution", pattern, found)


def event_ids(finding: Finding) -> list[str]:
    """Ids of the sample CloudTrail events (given as ids or as event summaries)."""
    return [e.event_id for e in finding.evidence.events if e.event_id]


def evidences(finding: Finding, actor: dict[str, Any]) -> list[dict[str, Any]]:
    """Evidence artifacts: each unusual value, each sample event, and the rule's own evidence."""
    artifacts: list[dict[str, Any]] = []
    for key, values in finding.evidence.unusual.items():
        parameter = parameter_name(key)
        artifacts.extend(_artifact(parameter, v.value, actor) for v in values)
    for event in finding.evidence.events:
        artifacts.append(_event_artifact(event, actor))
    stored = finding.evidence.to_json()
    rest = {k: v for k, v in stored.items() if k not in _KNOWN_KEYS}
    if rest or not artifacts:
        artifacts.append({"name": "detector evidence", "actor": actor, "data": rest})
    return [_slim(a) for a in artifacts]


# An artifact must name at least one of these (or an actor); the finding's own `actor` already
# says who acted, so repeating it in every artifact only made payloads past syslog's 8 KiB.
_SELF_STANDING = {"api", "src_endpoint", "data", "resources", "user", "url", "file", "process"}


def _slim(artifact: dict[str, Any]) -> dict[str, Any]:
    if _SELF_STANDING & artifact.keys():
        return {k: v for k, v in artifact.items() if k != "actor"}
    return artifact


def _event_artifact(event: SampleEvent, actor: dict[str, Any]) -> dict[str, Any]:
    stored = event.to_json()
    if not isinstance(stored, dict):  # an event id alone, as older evidence gave it
        return {"name": "CloudTrail event", "uid": stored, "actor": actor}
    artifact: dict[str, Any] = {"name": "CloudTrail event", "actor": actor}
    if event.event_id:
        artifact["uid"] = event.event_id
    if event.event_name:
        api: dict[str, Any] = {"operation": event.event_name}
        if event.event_source:
            api["service"] = {"name": event.event_source}
        artifact["api"] = api
    source = event.source_ip_address
    if source:
        artifact["src_endpoint"] = {"ip": source} if _is_ip(source) else {"name": source}
    rest = {k: v for k, v in stored.items() if k not in _MAPPED}
    if rest:
        artifact["data"] = rest
    return artifact


_MAPPED = ("event_id", "event_name", "event_source", "source_ip_address")


def _artifact(parameter: str, value: str, actor: dict[str, Any]) -> dict[str, Any]:
    artifact: dict[str, Any] = {"name": f"unusual {parameter}", "actor": actor}
    if parameter == "api":
        artifact["api"] = _api(value)
    elif parameter == "network" and _is_ip(value):
        artifact["src_endpoint"] = {"ip": value}
    elif parameter in ("network", "asn"):
        artifact["src_endpoint"] = _network(value)
    elif parameter == "user_agent":
        artifact["http_request"] = {"user_agent": value}
    else:
        artifact["data"] = {parameter: value}
    return artifact


def _api(value: str) -> dict[str, Any]:
    """OCSF api of `iam:ListUsers` (the model's service:operation spelling) or `ListUsers`."""
    service, sep, operation = value.partition(":")
    if not sep or not operation:
        return {"operation": value}
    return {"operation": operation, "service": {"name": service}}


def _network(value: str) -> dict[str, Any]:
    endpoint: dict[str, Any] = {"name": value}
    match = _ASN.match(value)
    if match:
        endpoint["autonomous_system"] = {"number": int(match["number"]), "name": value}
    return endpoint


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def observables(finding: Finding) -> list[dict[str, Any]]:
    """Pivot values: the principal (resource uid), source IPs and user agents of the finding."""
    evidence = finding.evidence
    in_evidences = [v.value for v in evidence.unusual.get("networks", ())]
    in_evidences += [e.source_ip_address for e in evidence.events if e.source_ip_address]
    ips = {ip: "evidences.src_endpoint.ip" for ip in in_evidences if _is_ip(ip)}
    for ip in evidence.source_ips:
        if _is_ip(ip):
            ips.setdefault(ip, "unmapped.trailguard.evidence.source_ips")
    found = [_observable("actor.user.uid", 10, "Resource UID", finding.principal)]
    found += [_observable(name, 2, "IP Address", ip) for ip, name in ips.items()]
    # Unusual user agents are families (`tool:python-requests`); only full strings pivot.
    found += [
        _observable("unmapped.trailguard.evidence.user_agents", 16, "HTTP User-Agent", agent)
        for agent in dict.fromkeys(evidence.user_agents)
    ]
    return found[:MAX_OBSERVABLES]


def _observable(name: str, type_id: int, type_name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type_id": type_id, "type": type_name, "value": value}
