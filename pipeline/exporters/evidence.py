"""A finding's evidence as OCSF `evidences`, `anomaly_analyses` and `observables`. Pure.

Detectors write evidence as JSON: `unusual` and `profiled` behaviour (apis, networks, asns,
user_agents, regions: lists of values, of {value, count} objects, or bucketed by frequency as
GuardDuty profiles are), `features` ({name, value, baseline, peer}) and `events` (sample event
ids). Anything else a rule adds is kept as `data` of one evidence artifact, never dropped.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any

from pipeline.findings import Finding

_KNOWN_KEYS = {"unusual", "profiled", "features", "events"}
_PARAMETERS = {
    "apis": "api",
    "networks": "network",
    "asns": "asn",
    "user_agents": "user_agent",
    "regions": "region",
}
_ASN = re.compile(r"^(?:AS)?(?P<number>\d+)\b", re.IGNORECASE)

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
    if isinstance(item, dict):
        raw = next((item[k] for k in ("value", "name", "api", "asn", "ip") if k in item), item)
        found: Observation = {"value": str(raw)}
        if isinstance(item.get("count"), int):
            found["count"] = item["count"]
        return found
    return {"value": str(item)}


def anomaly_analyses(finding: Finding) -> list[dict[str, Any]]:
    """Unusual behaviour against the profiled one, and feature values against their baselines."""
    unusual = finding.evidence.get("unusual") or {}
    profiled = finding.evidence.get("profiled") or {}
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
    for feature in finding.evidence.get("features") or []:
        anomalies.append(_feature(feature, "value", "ANOMALOUS"))
        baselines.extend(_feature(feature, key, key.upper()) for key in ("baseline", "peer"))
    baselines = [b for b in baselines if b["observations"]]
    anomalies = [a for a in anomalies if a["observations"]]
    if not anomalies:
        return []
    target = {"name": finding.principal, "type": "Principal"}
    analysis: dict[str, Any] = {"analysis_targets": [target], "anomalies": anomalies}
    if baselines:
        analysis["baselines"] = baselines
    return [analysis]


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
    return _pattern(str(feature.get("name", "feature")), "Feature Contribution", pattern, found)


def evidences(finding: Finding, actor: dict[str, Any]) -> list[dict[str, Any]]:
    """Evidence artifacts: each unusual value, each sample event, and the rule's own evidence."""
    artifacts: list[dict[str, Any]] = []
    for key, value in (finding.evidence.get("unusual") or {}).items():
        parameter = parameter_name(key)
        for _, found in observations(value):
            artifacts.extend(_artifact(parameter, o["value"], actor) for o in found)
    for event_id in finding.evidence.get("events") or []:
        artifacts.append({"name": "CloudTrail event", "uid": str(event_id), "actor": actor})
    rest = {k: v for k, v in finding.evidence.items() if k not in _KNOWN_KEYS}
    if rest or not artifacts:
        artifacts.append({"name": "detector evidence", "actor": actor, "data": rest})
    return artifacts


def _artifact(parameter: str, value: str, actor: dict[str, Any]) -> dict[str, Any]:
    artifact: dict[str, Any] = {"name": f"unusual {parameter}", "actor": actor}
    if parameter == "api":
        artifact["api"] = {"operation": value}
    elif parameter == "network" and _is_ip(value):
        artifact["src_endpoint"] = {"ip": value}
    elif parameter in ("network", "asn"):
        artifact["src_endpoint"] = _network(value)
    elif parameter == "user_agent":
        artifact["http_request"] = {"user_agent": value}
    else:
        artifact["data"] = {parameter: value}
    return artifact


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
    """Pivot values: the principal (resource uid) and each unusual IP and user agent."""
    found = [_observable("actor.user.uid", 10, "Resource UID", finding.principal)]
    unusual = finding.evidence.get("unusual") or {}
    for value in _values(unusual.get("networks")):
        if _is_ip(value):
            found.append(_observable("evidences.src_endpoint.ip", 2, "IP Address", value))
    for value in _values(unusual.get("user_agents")):
        found.append(_observable("evidences.http_request.user_agent", 16, "HTTP User-Agent", value))
    return found


def _values(value: Any) -> Iterable[str]:
    if value is None:
        return []
    return [o["value"] for _, group in observations(value) for o in group]


def _observable(name: str, type_id: int, type_name: str, value: str) -> dict[str, Any]:
    return {"name": name, "type_id": type_id, "type": type_name, "value": value}
