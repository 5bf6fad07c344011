"""Real incidents laid into an organisation: moved in account and day, otherwise as recorded."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from trailguard.pipeline.ingest.normalize import principal_key
from trailguard.pipeline.synth import real_incidents
from trailguard.pipeline.synth.delivery import MemorySink
from trailguard.pipeline.synth.real_incidents import INCIDENTS, lay_incidents, read_incident

START = datetime(2026, 10, 1, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222", "333333333333")


@pytest.fixture(scope="module")
def laid() -> tuple[MemorySink, list[dict[str, Any]], list[dict[str, Any]]]:
    sink = MemorySink()
    result = lay_incidents(sink, ACCOUNTS, START, days=21, first_day=7, seed=5)
    records = [
        r for data in sink.objects.values() for r in json.loads(gzip.decompress(data))["Records"]
    ]
    return sink, result.scenarios, records


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_every_recorded_event_is_laid_once_and_counted(laid: Any) -> None:
    sink, _, records = laid
    recorded = [r["eventID"] for incident in INCIDENTS for r in read_incident(incident)]
    assert sorted(r["eventID"] for r in records) == sorted(recorded)
    result = lay_incidents(MemorySink(), ACCOUNTS, START, days=21, first_day=7, seed=5)
    assert (result.events, result.objects) == (len(recorded), len(sink.objects))


def _by_incident(sink: MemorySink) -> dict[str, list[dict[str, Any]]]:
    """The laid records of each incident, by the name its objects carry."""
    found: dict[str, list[dict[str, Any]]] = {i.name: [] for i in INCIDENTS}
    for key, data in sink.objects.items():
        name = key.rsplit("_", 1)[1].removesuffix(".json.gz")
        found[name] += json.loads(gzip.decompress(data))["Records"]
    return found


def test_an_incident_moves_into_an_account_of_the_organisation_or_keeps_its_own() -> None:
    # Moved: its account id replaced everywhere it was written. Kept: a new account joins.
    seen = set()
    for seed in range(12):
        sink = MemorySink()
        scenarios = lay_incidents(sink, ACCOUNTS, START, days=21, first_day=7, seed=seed).scenarios
        for incident, scenario in zip(INCIDENTS, scenarios, strict=True):
            records = _by_incident(sink)[incident.name]
            accounts = {r["recipientAccountId"] for r in records}
            assert accounts == {scenario["account_id"]}
            own = scenario["account_id"] == incident.account_id
            assert own or (scenario["account_id"] in ACCOUNTS)
            assert own or incident.account_id not in json.dumps(records)
            seen.add(own)
    assert seen == {True, False}  # a new account joining with the incident, and the usual case


def test_each_incident_lands_after_learning_on_its_own_day_at_its_own_pace(laid: Any) -> None:
    _, scenarios, records = laid
    days = [(_time(s["start"]) - START).days for s in scenarios]
    assert days == [10, 14, 17]  # 7 + (i + 1) * 14 // 4: spread over the two weeks left
    for scenario in scenarios:
        moved = [r for r in records if r["eventID"] in set(scenario["event_ids"])]
        gaps = {_time(r["eventTime"]) - _time(scenario["start"]) for r in moved}
        assert max(gaps) <= timedelta(hours=2)  # the recording's own pace, not spread out
    assert all("@timestamp" not in r and "@version" not in r for r in records)


def test_the_hour_of_day_is_the_recorded_one(laid: Any) -> None:
    _, _, records = laid
    laid_clock = sorted((r["eventID"], r["eventTime"][11:19]) for r in records)
    recorded_clock = sorted(
        (r["eventID"], str(r.get("eventTime") or r["@timestamp"])[11:19])
        for incident in INCIDENTS
        for r in read_incident(incident)
    )
    assert laid_clock == recorded_clock


def test_the_label_names_the_attackers_events_and_ingests_principal(laid: Any) -> None:
    _, scenarios, records = laid
    by_id = {r["eventID"]: r for r in records}
    flaws2, level6, otrf = scenarios
    assert [s["technique"] for s in scenarios] == [f"real.{i.name}" for i in INCIDENTS]
    assert all(s["kind"] == "attack" and s["difficulty"] == "real" for s in scenarios)
    assert len(flaws2["event_ids"]) == 27  # every call from 104.102.221.250
    assert flaws2["principal_key"].endswith(":assumed-role/level1/level1")
    assert len(level6["event_ids"]) == 184  # 185 records: the flaws sample reuses one id
    assert len(otrf["event_ids"]) == 11  # pedro, the console admin, is not the attack
    for scenario in scenarios:
        first = by_id[scenario["event_ids"][0]]
        assert scenario["start"] == first["eventTime"]
        assert scenario["principal_key"] in {principal_key(by_id[i]) for i in scenario["event_ids"]}


@pytest.mark.parametrize("days", [3, 4, 9, 21])
def test_every_event_falls_after_learning_and_before_the_organisation_ends(days: int) -> None:
    sink = MemorySink()
    lay_incidents(sink, ACCOUNTS, START, days=days, first_day=min(7, days // 2), seed=5)
    times = [
        _time(r["eventTime"])
        for data in sink.objects.values()
        for r in json.loads(gzip.decompress(data))["Records"]
    ]
    assert START + timedelta(days=min(7, days // 2)) <= min(times)
    assert max(times) < START + timedelta(days=days)  # flaws level 6 crosses midnight


def test_too_short_an_organisation_is_refused_before_anything_is_written() -> None:
    sink = MemorySink()
    with pytest.raises(ValueError, match="need a benign learning period first and room after it"):
        lay_incidents(sink, ACCOUNTS, START, days=2, first_day=1, seed=5)
    assert sink.objects == {}


def test_laying_is_deterministic() -> None:
    first, again = MemorySink(), MemorySink()
    lay_incidents(first, ACCOUNTS, START, days=21, first_day=7, seed=5)
    lay_incidents(again, ACCOUNTS, START, days=21, first_day=7, seed=5)
    assert first.objects == again.objects


def test_objects_are_keyed_as_cloudtrail_delivers_them(laid: Any) -> None:
    sink, _, _ = laid
    for key in sink.objects:
        account, service, region, year, month, day, name = key.split("/")[1:]
        own = {i.account_id for i in INCIDENTS}
        assert (account in ACCOUNTS or account in own) and service == "CloudTrail"
        assert name.startswith(f"{account}_CloudTrail_{region}_{year}{month}{day}T")


def test_only_the_account_id_itself_is_replaced_not_the_same_digits_in_a_longer_number() -> None:
    record = {
        "eventTime": "2020-09-14T00:44:20Z",
        "recipientAccountId": "123456789123",
        "requestParameters": {"size": 91234567891234},
    }
    (moved,) = real_incidents.laid([record], "123456789123", "999999999999", START.date(), 8)
    assert moved["recipientAccountId"] == "999999999999"
    assert moved["requestParameters"]["size"] == 91234567891234
    assert moved["eventTime"] == "2026-10-09T00:44:20Z"
