"""Delivery of findings to one destination: cursor, batches, retries, and nothing lost.

Each destination keeps a cursor (the last `findings.revision` it received) in the lake database.
A run sends what lies above the cursor in batches, oldest change first, and moves the cursor after
each delivered batch. An unreachable destination, a timeout or a 5xx is retried with exponential
backoff; after `max_retries` the run stops and leaves the rest, cursor unmoved, for the next run.
A 4xx stops the run at once (retrying cannot help) with the destination's answer. Database
connections are opened for one short read or write and never held while talking to the network.
Delivery is at least once: a batch whose answer is lost (a timeout after the receiver took it) is
sent again, and every payload carries `<finding id>:r<revision>` so a receiver can drop the copy.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import tenacity

from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    Sink,
    SinkOptions,
    open_sink,
    redact,
)
from trailguard.pipeline.findings.store import Finding, load_findings
from trailguard.pipeline.lake.db import db_path, open_db
from trailguard.pipeline.lake.lock import holds_export_lock
from trailguard.pipeline.retry import Backoff, RetryEvent, retrying
from trailguard.pipeline.sqlfiles import read_sql

log = logging.getLogger(__name__)

MAX_BACKOFF = 60.0


@dataclass(frozen=True)
class ExportStats:
    """What a run delivered, and why it stopped early if it did (secrets already removed)."""

    destination: str
    sent: int
    failed: int  # findings the destination refused one by one (listed in export_rejects)
    cursor_before: int
    cursor_after: int
    error: str | None = None
    retryable: bool = False  # the error was the destination being down: the next run resumes

    @property
    def ok(self) -> bool:
        """True when everything above the cursor was delivered."""
        return self.error is None


@holds_export_lock  # two exports at once would send the same batch twice
def export_findings(
    lake: Path,
    destination: str,
    *,
    batch_size: int = 100,
    max_retries: int = 5,
    timeout: float = 10.0,
    backoff: float = 1.0,
    endpoint_url: str | None = None,
    client: Any = None,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    role: str | None = None,
) -> ExportStats:
    """Send every finding changed since this destination's cursor; see the module docstring.
    `role`: for Security Hub, the role assumed in each account (`securityhub.role_arn`)."""
    if batch_size < 1 or max_retries < 0:
        raise ValueError("batch_size must be >= 1 and max_retries >= 0")
    if not db_path(lake).exists():  # a mistyped --lake should not look like "nothing to send"
        raise FileNotFoundError(f"no trailguard database at {db_path(lake)}: wrong --lake?")
    environ = dict(os.environ if env is None else env)
    sink = open_sink(destination, SinkOptions(timeout, endpoint_url, client, environ, role))
    with open_db(lake) as con:
        ensure_export_tables(con)
        before = read_cursor(con, sink.name)
    run = _Run(lake, sink, Retry(max_retries, backoff, sleep))
    error, retryable = run.deliver(before, batch_size)
    stats = ExportStats(sink.name, run.sent, run.failed, before, run.cursor, error, retryable)
    _log_result(stats)
    return stats


@dataclass(frozen=True)
class Retry:
    """How often and how patiently a batch is retried while the destination is unavailable."""

    max_retries: int
    backoff: float
    sleep: Callable[[float], None]

    def policy(self, on_retry: Callable[[RetryEvent], None]) -> tenacity.Retrying:
        """`max_retries` retries of an unavailable destination, `backoff` doubling to
        `MAX_BACKOFF`, times 0.5 to 1 (so many exporters do not retry in step)."""
        return retrying(
            transient=DestinationUnavailable,
            attempts=self.max_retries + 1,
            backoff=_RetryAfter(first=self.backoff, cap=MAX_BACKOFF, jitter=(0.5, 1.0)),
            on_retry=on_retry,
            sleep=self.sleep,
        )


@dataclass(frozen=True)
class _RetryAfter(Backoff):
    """The backoff, or longer when the destination asked for it (`Retry-After`, up to `cap`)."""

    def __call__(self, state: tenacity.RetryCallState) -> float:
        """The wait after `state`'s failed attempt."""
        wait = super().__call__(state)
        error = state.outcome.exception() if state.outcome and state.outcome.failed else None
        asked = getattr(error, "retry_after", None)
        return max(wait, min(float(asked), self.cap)) if asked else wait


class _Run:
    """One export run: batches from the cursor on, until done or stopped by an error."""

    def __init__(self, lake: Path, sink: Sink, retry: Retry) -> None:
        self.lake, self.sink, self.retry = lake, sink, retry
        self.sent = self.failed = self.cursor = 0

    def deliver(self, cursor: int, batch_size: int) -> tuple[str | None, bool]:
        """(error, retryable) after sending every batch above `cursor`, or stopping early."""
        self.cursor = cursor
        while True:
            with open_db(self.lake) as con:
                batch = load_findings(con, after_revision=self.cursor, limit=batch_size)
            if not batch:
                return None, False
            try:
                rejected = self._send_with_retry(batch)
            except (DestinationUnavailable, DestinationRejected) as exc:
                message = redact(str(exc), self.sink.secrets)
                self._record_error(message)
                return message, isinstance(exc, DestinationUnavailable)
            self._advance(batch, rejected)

    def _send_with_retry(self, batch: Sequence[Finding]) -> list[Rejection]:
        return self.retry.policy(self._log_retry)(self.sink.send, batch)

    def _log_retry(self, retry: RetryEvent) -> None:
        message = redact(str(retry.error), self.sink.secrets)
        log.warning("%s; retry %d in %.1fs", message, retry.attempt, retry.wait)

    def _advance(self, batch: Sequence[Finding], rejected: list[Rejection]) -> None:
        now = datetime.now(UTC)
        last = batch[-1].revision
        delivered = len(batch) - len(rejected)
        with open_db(self.lake) as con:
            con.execute("BEGIN TRANSACTION")
            for item in rejected:
                reason = redact(item.reason, self.sink.secrets)
                log.error("%s refused finding %s: %s", self.sink.name, item.finding_id, reason)
                params = {
                    "destination": self.sink.name,
                    "finding_id": item.finding_id,
                    "revision": item.revision,
                    "reason": reason,
                    "now": now,
                }
                con.execute(read_sql("exporters/reject.sql"), params)
            params = {
                "destination": self.sink.name,
                "revision": last,
                "sent": delivered,
                "now": now,
            }
            con.execute(read_sql("exporters/advance.sql"), params)
            con.execute("COMMIT")
        self.sent += delivered
        self.failed += len(rejected)
        self.cursor = last

    def _record_error(self, message: str) -> None:
        params = {"destination": self.sink.name, "error": message, "now": datetime.now(UTC)}
        with open_db(self.lake) as con:
            con.execute(read_sql("exporters/record_error.sql"), params)


def ensure_export_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the export cursor and reject tables if missing."""
    con.execute(read_sql("exporters/schema.sql"))


def read_cursor(con: duckdb.DuckDBPyConnection, destination: str) -> int:
    """The last revision delivered to `destination` (0: nothing yet)."""
    row = con.execute(
        "SELECT revision FROM export_cursors WHERE destination = $destination",
        {"destination": destination},
    ).fetchone()
    return int(row[0]) if row else 0


def _log_result(stats: ExportStats) -> None:
    if stats.error is None:
        log.info(
            "%s: sent %d findings (cursor %d -> %d)",
            stats.destination,
            stats.sent,
            stats.cursor_before,
            stats.cursor_after,
        )
    elif stats.retryable:
        log.warning(
            "%s unavailable, the rest waits for the next run: %s", stats.destination, stats.error
        )
    else:
        log.error("%s refused the export: %s", stats.destination, stats.error)
