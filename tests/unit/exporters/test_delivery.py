"""The delivery engine against an in-memory destination that plays scripted outcomes."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from tests.helpers.findings import many_findings
from tests.helpers.lake import store
from trailguard.pipeline.export import base
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
)
from trailguard.pipeline.export.deliver import export_findings, read_cursor
from trailguard.pipeline.findings.store import Finding, upsert_findings
from trailguard.pipeline.lake.db import open_db


class MemorySink:
    """Keeps what it is sent; before each send plays the next scripted outcome."""

    name = "memory:test"
    secrets = ("memory-secret",)

    def __init__(self, lake: Path) -> None:
        self.lake = lake
        self.script: list[str] = []
        self.received: list[Finding] = []

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        outcome = self.script.pop(0) if self.script else "ok"
        if not self.received:
            # The exporter must not hold the database while it talks to a destination.
            with open_db(self.lake, timeout=1.0) as con:
                upsert_findings(con, [])
        if outcome == "down":
            raise DestinationUnavailable("memory: down (memory-secret)")
        if outcome == "refuse":
            raise DestinationRejected("memory: HTTP 400 bad batch")
        self.received.extend(findings)
        if outcome == "reject-first":
            first = findings[0]
            return [Rejection(first.finding_id, first.revision, "InvalidInput: memory-secret")]
        return []


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[MemorySink]:
    memory = MemorySink(tmp_path / "lake")
    base.register("memory")(lambda destination, options: memory)
    yield memory
    base._OPENERS.pop("memory")


def test_a_refusal_mid_run_keeps_the_cursor_at_the_last_delivered_batch(
    sink: MemorySink, tmp_path: Path
) -> None:
    stored = store(sink.lake, many_findings(5))
    sink.script = ["ok", "refuse"]

    stats = export_findings(sink.lake, "memory:", batch_size=2, backoff=0.0)
    rest = export_findings(sink.lake, "memory:", batch_size=2, backoff=0.0)

    assert (stats.sent, stats.cursor_after, stats.retryable) == (2, stored[1].revision, False)
    assert stats.error == "memory: HTTP 400 bad batch"
    assert (rest.sent, rest.cursor_before, rest.cursor_after) == (3, stored[1].revision,
                                                                  stored[-1].revision)  # fmt: skip
    assert [f.finding_id for f in sink.received] == [f.finding_id for f in stored]


def test_findings_refused_one_by_one_are_listed_and_do_not_block_the_feed(
    sink: MemorySink,
) -> None:
    stored = store(sink.lake, many_findings(3))
    sink.script = ["reject-first"]

    stats = export_findings(sink.lake, "memory:", backoff=0.0)

    with open_db(sink.lake, read_only=True) as con:
        rows = con.execute("SELECT finding_id, revision, reason FROM export_rejects").fetchall()
        cursor = read_cursor(con, "memory:test")
    assert (stats.sent, stats.failed, cursor) == (2, 1, stored[-1].revision)
    assert rows == [(stored[0].finding_id, stored[0].revision, "InvalidInput: ***")]


def test_unavailable_is_retried_max_retries_times_then_left_for_the_next_run(
    sink: MemorySink,
) -> None:
    store(sink.lake, many_findings(2))
    sink.script = ["down"] * 3
    waits: list[float] = []

    stats = export_findings(sink.lake, "memory:", max_retries=2, backoff=0.0, sleep=waits.append)

    assert stats.retryable and stats.sent == 0 and len(waits) == 2 and sink.script == []
    assert stats.error == "memory: down (***)"  # the sink's secret never leaves redacted
    with open_db(sink.lake, read_only=True) as con:
        error = con.execute("SELECT last_error FROM export_cursors").fetchone()
    assert error == ("memory: down (***)",)


def test_backoff_doubles_and_is_capped(sink: MemorySink) -> None:
    store(sink.lake, many_findings(1))
    sink.script = ["down"] * 8
    waits: list[float] = []

    export_findings(sink.lake, "memory:", max_retries=7, backoff=1.0, sleep=waits.append)

    assert all(2**i * 0.5 <= w <= 2**i for i, w in enumerate(waits[:6]))
    assert 30.0 <= waits[6] <= 60.0  # 64 s capped at 60


@pytest.mark.parametrize("options", [{"batch_size": 0}, {"max_retries": -1}])
def test_nonsense_settings_are_refused(sink: MemorySink, options: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        export_findings(sink.lake, "memory:", **options)  # type: ignore[arg-type]


def test_a_lake_without_a_database_is_an_error_not_an_empty_export(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no trailguard database"):
        export_findings(tmp_path / "typo", f"ndjson:{tmp_path / 'out'}")

    assert not (tmp_path / "out").exists()
