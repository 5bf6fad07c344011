"""The anomaly model's gates of issue 18: calibration groups, per-group thresholds, and
corroboration for people."""

from __future__ import annotations

from typing import Any

import numpy as np

from trailguard.models.isolation_forest import IsolationForestDetector
from trailguard.pipeline.detect.anomaly import corroborated, group_of

ROW: dict[str, Any] = {
    "novel_sensitive_apis": 0,
    "n_logging_tamper": 0,
    "n_hostile_agent": 0,
    "novel_networks": 0,
    "novel_countries": 0,
    "novel_user_agents": 0,
    "novel_hour": 0,
    "denied_rate_delta": 0.0,
    "n_events": 20,
    "novel_apis": 1,
    "novel_peer_sensitive_apis": 0,
    "ctx_cold_start": 0,
    "ctx_new_peer_group": 0,
}


def test_principals_fall_in_their_calibration_group() -> None:
    assert group_of("role_session", "sso:Developer") == "person"
    assert group_of("iam_user", "iam_user:aws-cli/2") == "person"
    assert group_of("root", "root:console") == "root"
    assert group_of("role", "family:github-actions-deploy") == "ci"
    assert group_of("role_session", "role_session:sdk:lambda") == "workload"
    assert group_of("service", "service:other") == "service"


def test_a_person_needs_a_sensitive_novelty_and_an_unusual_context() -> None:
    new_api = ROW | {"novel_sensitive_apis": 1}
    assert not corroborated(new_api), "a new API from the usual laptop at the usual hour"
    assert not corroborated(ROW | {"novel_networks": 1}), "a new network doing the usual"
    assert corroborated(new_api | {"novel_networks": 1})
    assert corroborated(new_api | {"novel_hour": 1})
    assert corroborated(ROW | {"n_hostile_agent": 1})


def test_a_sensitive_api_no_colleague_ever_called_is_context_enough_for_a_person() -> None:
    # A job changing means doing what colleagues of the same permission set already do.
    unheard_of = ROW | {"novel_sensitive_apis": 1, "novel_peer_sensitive_apis": 1}
    assert corroborated(unheard_of), "StartSession that no one of sso:Admin ever opened"
    assert not corroborated(unheard_of | {"ctx_cold_start": 1}), "a newcomer without a profile"
    assert not corroborated(unheard_of | {"ctx_new_peer_group": 1}), "a new permission set"


def test_a_bursty_group_gets_its_own_higher_bar_and_no_group_a_lower_one() -> None:
    rng = np.random.default_rng(0)
    steady = rng.normal(0, 0.1, size=(2000, 3))
    bursty = rng.normal(0, 1.0, size=(2000, 3)) + rng.exponential(2.0, size=(2000, 3))
    model = IsolationForestDetector(n_estimators=50).fit(
        np.vstack([steady, bursty]), ["a", "b", "c"], ["workload"] * 2000 + ["person"] * 2000
    )
    assert model.group_threshold("person") > model.threshold_
    assert model.group_threshold("workload") == model.threshold_
    assert model.group_threshold("unknown") == model.threshold_
