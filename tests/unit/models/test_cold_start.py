"""The cold-start scorer's signals, one by one, on rows shaped like sql/detect/cold_start.sql's."""

from __future__ import annotations

from typing import Any

import pytest

from trailguard.models.cold_start import MEDIUM, SIGNALS, score, severity

QUIET: dict[str, Any] = {
    "n_events": 40,
    "n_apis": 8,
    "n_services": 3,
    "n_denied": 1,
    "n_denied_apis": 1,
    "enum_services": 1,
    "denied_after_whoami": 0,
    "tools": [],
    "hosting": [],
    "n_assume": 0,
    "org_first_apis": [],
}
FIRES: dict[str, dict[str, Any]] = {
    "denied_sweep": {"n_events": 520, "n_denied": 505, "n_denied_apis": 505},
    "denied_burst": {"n_events": 30, "n_denied": 20, "n_denied_apis": 12},
    "breadth": {"n_apis": 35, "n_services": 12},
    "enumeration": {"enum_services": 3},
    "whoami_then_denied": {"n_denied": 15, "denied_after_whoami": 12},
    "offensive_tool": {"tools": ["pacu"]},
    "hosting_network": {"hosting": ["DIGITALOCEAN-ASN"]},
    "role_hop": {"n_assume": 5},
    "org_first_api": {"org_first_apis": ["StopLogging"]},
}


def test_an_ordinary_hour_fires_nothing() -> None:
    assert score(QUIET) == []


@pytest.mark.parametrize("name", sorted(FIRES))
def test_each_signal_fires_on_its_own_evidence(name: str) -> None:
    fired = {s.name for s in score(QUIET | FIRES[name])}
    assert name in fired
    assert set(FIRES) == set(SIGNALS), "every registered signal has a case here"


def test_a_broken_workload_repeating_one_denied_api_is_no_burst() -> None:
    row = QUIET | {"n_events": 600, "n_denied": 600, "n_denied_apis": 1}
    assert score(row) == []


def test_only_an_attack_tool_or_a_sweep_reaches_medium_alone() -> None:
    alone = {name: severity(score(QUIET | change)) for name, change in FIRES.items()}
    assert {name for name, value in alone.items() if value >= MEDIUM} == {
        "denied_sweep",
        "offensive_tool",
    }


def test_a_sweep_with_its_corroboration_is_high_and_severity_is_capped() -> None:
    sweep = QUIET | FIRES["denied_sweep"] | FIRES["breadth"] | FIRES["enumeration"]
    sweep |= {"denied_after_whoami": 400}
    assert severity(score(sweep)) == 8.0
    everything = QUIET | {k: v for change in FIRES.values() for k, v in change.items()}
    assert severity(score(everything)) == 8.9
