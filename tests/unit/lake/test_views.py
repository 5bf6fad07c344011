"""The in-memory reader over the lake: the `events` view, in UTC, over all accounts or some."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.ingest.batch import to_batch
from trailguard.pipeline.ingest.sources.layout import ObjectRef
from trailguard.pipeline.lake.compact import init_lake
from trailguard.pipeline.lake.dedup import IdCache
from trailguard.pipeline.lake.views import LakeEmpty, has_events, open_lake_reader
from trailguard.pipeline.lake.write import write_events

NOW = datetime(2026, 11, 1, tzinfo=UTC)
ALICE, BOB = "111122223333", "444455556666"


def lake_of(lake: Path, accounts: dict[str, int]) -> Path:
    """A lake holding `count` events of each account, on 2026-10-05 from 10:00 UTC."""
    records = [
        cloudtrail_event(recipientAccountId=account, eventTime=f"2026-10-05T1{i}:00:00Z")
        for account, count in accounts.items()
        for i in range(count)
    ]
    ref = ObjectRef(uri="o", key="o", size=1, version="v1")
    table = to_batch("src", [(ref, json.dumps({"Records": records}).encode())], NOW).table
    init_lake(lake)
    write_events(lake, table, IdCache())
    return lake


def test_a_reader_sees_every_event_through_the_view_with_times_in_utc(tmp_path: Path) -> None:
    lake = lake_of(tmp_path / "lake", {ALICE: 2, BOB: 1})

    with open_lake_reader(lake) as con:
        rows = con.execute(
            "SELECT account_id, strftime(min(event_time), '%H:%M %Z') FROM events"
            " GROUP BY account_id ORDER BY account_id"
        ).fetchall()
        family = con.execute("SELECT ua_family('aws-cli/2.15.0 python/3.11')").fetchone()

    assert rows == [(ALICE, "10:00 UTC"), (BOB, "10:00 UTC")]
    assert family == ("aws-cli/2",)  # the macros come with the view


def test_a_reader_over_some_accounts_sees_only_their_events(tmp_path: Path) -> None:
    lake = lake_of(tmp_path / "lake", {ALICE: 2, BOB: 1})

    with open_lake_reader(lake, accounts=[BOB]) as con:
        rows = con.execute("SELECT account_id, count(*) FROM events GROUP BY ALL").fetchall()

    assert rows == [(BOB, 1)]


@pytest.mark.parametrize("cached", [True, False])
def test_footers_are_cached_unless_the_caller_asks_not_to(tmp_path: Path, cached: bool) -> None:
    lake = lake_of(tmp_path / "lake", {ALICE: 1})

    with open_lake_reader(lake, metadata_cache=cached) as con:
        setting = con.execute("SELECT current_setting('parquet_metadata_cache')").fetchone()

    assert setting == (cached,)


def test_a_reader_is_closed_on_leaving_it(tmp_path: Path) -> None:
    with open_lake_reader(lake_of(tmp_path / "lake", {ALICE: 1})) as con:
        pass

    with pytest.raises(duckdb.ConnectionException):
        con.execute("SELECT 1")


def test_a_lake_without_events_cannot_be_read_and_says_to_ingest_first(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    init_lake(lake)

    assert not has_events(lake)
    with pytest.raises(LakeEmpty, match="run `trailguard ingest` first"), open_lake_reader(lake):
        pass
