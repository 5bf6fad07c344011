"""A finding's evidence as OCSF `evidences`, `anomaly_analyses` and `observables`. Pure.

Detectors write evidence as JSON. The anomaly model (pipeline/detect/explain.py) writes `unusual`
values per dimension (apis, networks, user_agents, regions, countries: lists of {value, events,
category}) next to the `profile` of the principal bucketed as GuardDuty's is (frequent,
infrequent, rare), and `top_features` ({feature, value, principal_baseline, peer_baseline,
deviation}). Rules write sample `events` ({event_id, event_name, event_source,
source_ip_address, ...}) and `source_ips`, `user_agents`, `regions`. The shorter spellings
`profiled`, `features` ({name, value, baseline, peer}) and plain value lists are read too.
Anything else is kept as `data` of one evidence artifact: nothing is dropped.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from trailguard.pipeline.findings.store import Finding

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


def observations(value: Any) -> list[tuple[str | None, list[Observation]]]:
    """(frequency pattern or None, observations) groups of one dimension of evidence."""
    if isinstance(value, dict) and value and all(isinstance(v, list) for v in value.values()):
        return [(str(k).upper(), [_observation(i) for i in v]) for k, v in value.items() if v]
    if isinstance(value, dict):  # {value: count}
        return [(None, [_counted(k, v) for k, v in value.items()])]
    items = value if isinstance(value, list) else [value]
    return [(None, [_observation(item) for item in items])] if items else []


def _counted(value: Any, count: Any) -> Observation:
    return (
        {"value": str(value), "count": count} if isinstance(count, int) else {"value": str(value)}
    )


def _observation(item: Any) -> Observation:
    if not isinstance(item, dict):
        return {"value": str(item)}
    raw = next((item[k] for k in ("value", "name", "api", "asn", "ip") if k in item), item)
    count = item.get("count", item.get("events"))
    return _counted(raw, count)


def _features(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """Feature contributions in one spelling: name, value, baseline, peer, deviation."""
    found = evidence.get("top_features") or evidence.get("features") or []
    return [
        {
            "name": str(f.get("feature", f.get("name", "feature"))),
            "value": f.get("value"),
            "baseline": f.get("principal_baseline", f.get("baseline")),
            "peer": f.get("peer_baseline", f.get("peer")),
            "deviation": f.get("deviation"),
        }
        for f in found
        if isinstance(f, dict)
    ]


def anomaly_analyses(finding: Finding) -> list[dict[str, Any]]:
    """Unusual behaviour against the profiled one, and feature values against their baselines."""
    evidence = finding.evidence
    unusual = evidence.get("unusual") or {}
    profiled = evidence.get("profile") or evidence.get("profiled") or {}
    anomalies = [
        _pattern(parameter_name(key), "Frequency Analysis", pattern or "UNSEEN", found)
        for key, value in unusual.items()
        for pattern, found in observations(value)
    ]
    baselines = [
        _pattern(parameter_name(key), "Frequency Analysis", pattern or "FREQUENT", found)
        for key, value in profiled.items()
        for pattern, found in observations(value)
    ]
    for feature in _features(evidence):
        anomalies.append(_feature(feature, "value", _direction(feature.get("deviation"))))
        baselines.extend(_feature(feature, key, key.upper()) for key in ("baseline", "peer"))
    anomalies = [a for a in anomalies if a["observations"]]
    baselines = [b for b in baselines if b["observations"]]
    if not anomalies:
        return []
    target = {"name": finding.principal, "type": "Principal"}
    analysis: dict[str, Any] = {"analysis_targets": [target], "anomalies": anomalies}
    if baselines:
        analysis["baselines"] = baselines
    return [analysis]


def _direction(deviation: Any) -> str:
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


def _feature(feature: dict[str, Any], key: str, pattern: str) -> dict[str, Any]:
    value = feature.get(key)
    found = [] if value is None else [{"value": str(value)}]
    return _pattern(feature["name"], "Feature Contribution", pattern, found)


def event_ids(finding: Finding) -> list[str]:
    """Ids of the sample CloudTrail events (given as ids or as event summaries)."""
    events = finding.evidence.get("events") or []
    ids = [e.get("event_id") if isinstance(e, dict) else e for e in events]
    return [str(i) for i in ids if i]


def evidences(finding: Finding, actor: dict[str, Any]) -> list[dict[str, Any]]:
    """Evidence artifacts: each unusual value, each sample event, and the rule's own evidence."""
    artifacts: list[dict[str, Any]] = []
    for key, value in (finding.evidence.get("unusual") or {}).items():
        parameter = parameter_name(key)
        for _, found in observations(value):
            artifacts.extend(_artifact(parameter, o["value"], actor) for o in found)
    for event in finding.evidence.get("events") or []:
        artifacts.append(_event_artifact(event, actor))
    rest = {k: v for k, v in finding.evidence.items() if k not in _KNOWN_KEYS}
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


def _event_artifact(event: Any, actor: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(event, dict):
        return {"name": "CloudTrail event", "uid": str(event), "actor": actor}
    artifact: dict[str, Any] = {"name": "CloudTrail event", "actor": actor}
    if event.get("event_id"):
        artifact["uid"] = str(event["event_id"])
    if event.get("event_name"):
        api: dict[str, Any] = {"operation": str(event["event_name"])}
        if event.get("event_source"):
            api["service"] = {"name": str(event["event_source"])}
        artifact["api"] = api
    source = event.get("source_ip_address")
    if source:
        artifact["src_endpoint"] = {"ip": source} if _is_ip(str(source)) else {"name": str(source)}
    mapped = ("event_id", "event_name", "event_source", "source_ip_address")
    rest = {k: v for k, v in event.items() if k not in mapped}
    if rest:
        artifact["data"] = rest
    return artifact


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
    events = [e for e in evidence.get("events") or [] if isinstance(e, dict)]
    in_evidences = _values((evidence.get("unusual") or {}).get("networks"))
    in_evidences += [str(e["source_ip_address"]) for e in events if e.get("source_ip_address")]
    ips = {ip: "evidences.src_endpoint.ip" for ip in in_evidences if _is_ip(ip)}
    for ip in _values(evidence.get("source_ips")):
        if _is_ip(ip):
            ips.setdefault(ip, "unmapped.trailguard.evidence.source_ips")
    found = [_observable("actor.user.uid", 10, "Resource UID", finding.principal)]
    found += [_observable(name, 2, "IP Address", ip) for ip, name in ips.items()]
    # Unusual user agents are families (`tool:python-requests`); only full strings pivot.
    found += [
        _observable("unmapped.trailguard.evidence.user_agents", 16, "HTTP User-Agent", agent)
        for agent in dict.fromkeys(_values(evidence.get("user_agents")))
    ]
    return found[:MAX_OBSERVABLES]


def _values(value: Any) -> list[str]:
    if value is None:
        return []
    return [o["value"] for _, group in observations(value) for o in group]


def _observable(name: str, type_id: int, type_name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type_id": type_id, "type": type_name, "value": value}
