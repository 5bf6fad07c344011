"""labels.json matches the data exactly, and its principal keys are ingest's own."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.unit.synth.conftest import SMALL, Generated
from trailguard.pipeline.ingest.normalize import normalize_record
from trailguard.pipeline.synth.scenario import load
from trailguard.pipeline.synth.schedule import learning_days

INGESTED = datetime(2026, 11, 1, tzinfo=UTC)
KEYS = {
    "id",
    "kind",
    "technique",
    "name",
    "difficulty",
    "principal_key",
    "account_id",
    "start",
    "end",
    "event_ids",
    "expected_finding_types",
}


@pytest.fixture(scope="module")
def by_id(small_org: Generated) -> dict[str, dict[str, Any]]:
    return {r["eventID"]: r for r in small_org.records}


@pytest.fixture(scope="module")
def normalized(small_org: Generated) -> list[dict[str, Any]]:
    return [normalize_record(r, "synth", INGESTED) for r in small_org.records]


def test_labels_document_the_run(small_org: Generated) -> None:
    labels = small_org.labels
    assert labels["seed"] == SMALL["seed"]
    assert labels["start"] == "2026-10-01T00:00:00Z"
    assert labels["end"] == "2026-10-10T00:00:00Z"
    assert all(set(s) == KEYS for s in labels["scenarios"])


def test_every_registered_technique_is_labelled_once(small_org: Generated) -> None:
    techniques = Counter(s["technique"] for s in small_org.labels["scenarios"])
    assert techniques == Counter(list(load()))
    kinds = Counter(s["kind"] for s in small_org.labels["scenarios"])
    assert kinds["attack"] == small_org.summary.attacks >= 20
    assert kinds["hard_negative"] == small_org.summary.hard_negatives >= 5


def test_each_labelled_event_is_in_the_data_inside_the_scenario_span(
    small_org: Generated, by_id: dict[str, dict[str, Any]]
) -> None:
    for scenario in small_org.labels["scenarios"]:
        assert scenario["event_ids"], scenario["id"]
        for event_id in scenario["event_ids"]:
            record = by_id[event_id]
            assert scenario["start"] <= record["eventTime"] <= scenario["end"]
            assert record["recipientAccountId"] == scenario["account_id"]
        times = [by_id[e]["eventTime"] for e in scenario["event_ids"]]
        assert min(times) == scenario["start"] and max(times) == scenario["end"]


def test_no_event_belongs_to_two_scenarios(small_org: Generated) -> None:
    ids = [e for s in small_org.labels["scenarios"] for e in s["event_ids"]]
    assert len(ids) == len(set(ids))


def test_event_ids_are_unique_across_the_organisation(small_org: Generated) -> None:
    ids = [r["eventID"] for r in small_org.records]
    assert len(ids) == len(set(ids)) == small_org.summary.events


def test_a_scenario_principal_key_is_the_normalized_key_of_its_principals_events(
    small_org: Generated, by_id: dict[str, dict[str, Any]]
) -> None:
    for scenario in small_org.labels["scenarios"]:
        keys = [
            normalize_record(by_id[e], "synth", INGESTED)["principal_key"]
            for e in scenario["event_ids"]
        ]
        assert scenario["principal_key"] in keys, scenario["id"]
        if scenario["kind"] == "attack":  # the stolen principal acts first
            assert keys[0] == scenario["principal_key"], scenario["id"]


def test_a_new_pipelines_label_names_its_role_not_the_oidc_identity(small_org: Generated) -> None:
    (pipeline,) = [
        s for s in small_org.labels["scenarios"] if s["technique"] == "tg.benign.new-ci-pipeline"
    ]
    assert ":assumed-role/" in pipeline["principal_key"] or ":role/" in pipeline["principal_key"]


def test_every_label_principal_key_appears_among_normalized_records(
    small_org: Generated, normalized: list[dict[str, Any]]
) -> None:
    keys = {row["principal_key"] for row in normalized}
    assert {s["principal_key"] for s in small_org.labels["scenarios"]} <= keys


def test_generated_records_pass_normalization_without_salvage(
    normalized: list[dict[str, Any]],
) -> None:
    assert all(row["extra"] is None and not row["event_id_derived"] for row in normalized)
    assert all(row["principal_key"] for row in normalized)


def test_attacks_start_after_the_learning_period(small_org: Generated) -> None:
    first_day = datetime(2026, 10, 1 + learning_days(SMALL["days"]), tzinfo=UTC)
    for scenario in small_org.labels["scenarios"]:
        start = datetime.strptime(scenario["start"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert start >= first_day, scenario["id"]


def test_attacks_carry_difficulty_and_findings_hard_negatives_neither(
    small_org: Generated,
) -> None:
    for s in small_org.labels["scenarios"]:
        if s["kind"] == "attack":
            assert s["difficulty"] in ("loud", "quiet") and s["expected_finding_types"]
        else:
            assert s["difficulty"] is None and s["expected_finding_types"] == []
    difficulties = Counter(s["difficulty"] for s in small_org.labels["scenarios"])
    assert difficulties["loud"] >= 5 and difficulties["quiet"] >= 5


def test_scenarios_are_spread_over_accounts(small_org: Generated) -> None:
    accounts = Counter(s["account_id"] for s in small_org.labels["scenarios"])
    assert len(accounts) == SMALL["accounts"]
