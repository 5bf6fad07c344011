"""Suppression rules and trusted networks archive what matches, and only that."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from trailguard.pipeline.findings.evidence import Evidence
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.findings.suppression import to_config

T = datetime(2026, 10, 10, tzinfo=UTC)


def _finding(**changes: Any) -> Finding:
    values: dict[str, Any] = {
        "finding_id": "f1",
        "type": "Discovery:IAMUser/AnomalousBehavior",
        "severity": 5.0,
        "title": "t",
        "description": "d",
        "account_id": "111122223333",
        "principal": "arn:aws:iam::111122223333:role/SecurityAuditScanner",
        "region": None,
        "first_seen": T,
        "last_seen": T,
        "event_count": 3,
        "detector": "isolation_forest",
        "evidence": Evidence(source_ips=("52.94.1.1",), user_agents=("Boto3/1.35 prowler",)),
    }
    values.update(changes)
    return Finding(**values)


def test_a_rule_matching_principal_and_type_archives_the_finding() -> None:
    config = to_config(
        {
            "suppress": [
                {
                    "name": "scanner",
                    "principal": "*:role/SecurityAuditScanner",
                    "type": "Discovery:*",
                }
            ]
        }
    )
    assert config.reason(_finding()) == "suppression rule: scanner"
    assert config.reason(_finding(type="Persistence:IAMUser/AnomalousBehavior")) is None


def test_network_and_agent_conditions_must_hold_for_every_source() -> None:
    config = to_config(
        {"suppress": [{"name": "n", "network": "52.94.0.0/16", "user_agent": "*prowler*"}]}
    )
    assert config.reason(_finding()) is not None
    mixed = Evidence(source_ips=("52.94.1.1", "185.220.101.7"), user_agents=("Boto3/1.35 prowler",))
    assert config.reason(_finding(evidence=mixed)) is None


def test_findings_only_from_trusted_networks_are_archived() -> None:
    config = to_config({"trusted_networks": ["52.94.0.0/16"]})
    assert config.reason(_finding()) == "all sources in trusted networks"
    assert config.reason(_finding(evidence=Evidence(source_ips=("lambda.amazonaws.com",)))) is None


def test_unknown_keys_are_rejected_rather_than_silently_ignored() -> None:
    with pytest.raises(ValueError, match="principle"):
        to_config({"suppress": [{"principle": "typo"}]})
