"""Deliver records as CloudTrail does: 5-minute gzip objects per account and region, plus digests.

Object keys carry the *delivery* time, a few minutes after the window they cover; a few
records arrive one window late, so an object can hold events from before its window and a
late event can land in the next day's folder, as real trails do.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import orjson

from trailguard.pipeline.synth.catalog import GLOBAL_SOURCES
from trailguard.pipeline.synth.records import Record

WINDOW_SECONDS = 300
LATE_RATE = 0.02
GZIP_LEVEL = 5
TRAIL_NAME = "org-trail"
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

Timed = tuple[float, Record]


class Sink(Protocol):
    """Where objects go: a local folder or an S3 prefix."""

    def put(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (relative to the sink's root)."""

    def close(self) -> None:
        """Wait until every object is stored."""


@dataclass
class InFlight:
    """Calls running on a few background threads (file writes and uploads wait on the disk or
    the network, not on the CPU); an error surfaces at the next drain or at ``close``."""

    threads: int
    _pool: ThreadPoolExecutor | None = None
    _pending: list[Future[Any]] = field(default_factory=list)

    def submit(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``fn`` in the background; block while ``4 * threads`` calls are pending."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.threads)
        self._pending.append(self._pool.submit(fn, *args, **kwargs))
        if len(self._pending) >= 4 * self.threads:
            self.drain()

    def drain(self) -> None:
        """Wait for every pending call; re-raise the first error."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()

    def close(self) -> None:
        """Drain and stop the threads."""
        self.drain()
        if self._pool is not None:
            self._pool.shutdown()
            self._pool = None


def _write_file(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)


@dataclass
class LocalSink:
    """Writes objects under a local folder, keeping the S3 key layout."""

    root: str
    _made: set[str] = field(default_factory=set)
    _writes: InFlight = field(default_factory=lambda: InFlight(4))

    def put(self, key: str, data: bytes) -> None:
        """Write one object (in the background: creating small files is slow on busy disks)."""
        path = os.path.join(self.root, key)
        folder = os.path.dirname(path)
        if folder not in self._made:
            os.makedirs(folder, exist_ok=True)
            self._made.add(folder)
        self._writes.submit(_write_file, path, data)

    def close(self) -> None:
        """Wait until every file is written."""
        self._writes.close()


@dataclass
class S3Sink:
    """Writes objects to ``s3://bucket/prefix`` with a boto3 client handed in by the caller,
    several uploads in flight (S3 latency, not bandwidth, bounds small objects)."""

    client: Any
    bucket: str
    prefix: str
    _uploads: InFlight = field(default_factory=lambda: InFlight(16))

    def put(self, key: str, data: bytes) -> None:
        """Queue one upload."""
        full = f"{self.prefix.rstrip('/')}/{key}" if self.prefix else key
        self._uploads.submit(self.client.put_object, Bucket=self.bucket, Key=full, Body=data)

    def close(self) -> None:
        """Wait for every upload; raise the first error."""
        self._uploads.close()


@dataclass
class MemorySink:
    """Keeps objects in a dict: for tests and for handing objects between processes."""

    objects: dict[str, bytes] = field(default_factory=dict)

    def put(self, key: str, data: bytes) -> None:
        """Keep one object."""
        self.objects[key] = data

    def close(self) -> None:
        """Nothing to wait for."""


def stamp(epoch: float, fmt: str) -> str:
    """Format a UTC epoch with ``time.strftime``."""
    return time.strftime(fmt, time.gmtime(epoch))


def log_key(account: str, region: str, delivered: float, suffix: str, org_id: str = "") -> str:
    """The object key CloudTrail gives a log file delivered at ``delivered`` (an organisation
    trail puts its ``o-<id>/`` between ``AWSLogs/`` and the account)."""
    day = stamp(delivered, "%Y/%m/%d")
    minute = stamp(delivered, "%Y%m%dT%H%MZ")
    return (
        f"AWSLogs/{org_id + '/' if org_id else ''}{account}/CloudTrail/{region}/{day}/"
        f"{account}_CloudTrail_{region}_{minute}_{suffix}.json.gz"
    )


def digest_key(account: str, region: str, end: float, org_id: str = "") -> str:
    """The object key of the hourly digest that ends at ``end``."""
    day = stamp(end, "%Y/%m/%d")
    moment = stamp(end, "%Y%m%dT%H%M%SZ")
    return (
        f"AWSLogs/{org_id + '/' if org_id else ''}{account}/CloudTrail-Digest/{region}/{day}/"
        f"{account}_CloudTrail-Digest_{region}_{TRAIL_NAME}_{region}_{moment}.json.gz"
    )


def to_windows(
    items: Iterable[Timed], rng: random.Random, duplicates: float = 0.0, echo_region: str = ""
) -> dict[tuple[str, int], list[Timed]]:
    """Group records by (region, delivery window); a few slip into the next window, and a
    ``duplicates`` share of global-service events is delivered again in ``echo_region``'s files,
    as multi-region trails sometimes do (same ``eventID``: ingest must deduplicate)."""
    windows: dict[tuple[str, int], list[Timed]] = defaultdict(list)
    for item in items:
        window = int(item[0]) // WINDOW_SECONDS
        if rng.random() < LATE_RATE:
            window += 1
        windows[(item[1]["awsRegion"], window)].append(item)
        if duplicates and item[1]["eventSource"] in GLOBAL_SOURCES and rng.random() < duplicates:
            windows[(echo_region, window + 1)].append(item)
    return windows


@dataclass
class Deliverer:
    """Writes one account's log objects day by day and its digests at the end."""

    account: str
    sink: Sink
    rng: random.Random
    bucket: str = "trailguard-synth"
    org_id: str = ""
    duplicates: float = 0.0
    echo_region: str = "us-west-2"
    objects: int = 0
    events: int = 0
    records: int = 0
    _digests: dict[tuple[str, int], list[dict[str, str]]] = field(
        default_factory=lambda: defaultdict(list)
    )

    def add(self, items: list[Timed]) -> None:
        """Deliver a batch of records (normally one day of the account)."""
        windows = to_windows(items, self.rng, self.duplicates, self.echo_region)
        self.events += len(items)
        for (region, window), batch in sorted(windows.items()):
            batch.sort(key=lambda item: item[0])
            self._write_log(region, window, batch)

    def _write_log(self, region: str, window: int, batch: list[Timed]) -> None:
        delivered = (window + 1) * WINDOW_SECONDS + self.rng.randrange(30, 240)
        suffix = "".join(self.rng.choices(_SUFFIX_CHARS, k=16))
        key = log_key(self.account, region, delivered, suffix, self.org_id)
        body = orjson.dumps({"Records": [rec for _, rec in batch]})
        self.sink.put(key, gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
        self.objects += 1
        self.records += len(batch)
        hour = int(delivered) // 3600
        self._digests[(region, hour)].append(
            {
                "s3Bucket": self.bucket,
                "s3Object": key,
                "hashValue": hashlib.sha256(body).hexdigest(),
                "hashAlgorithm": "SHA-256",
                "newestEventTime": batch[-1][1]["eventTime"],
                "oldestEventTime": batch[0][1]["eventTime"],
            }
        )

    def finish(self) -> None:
        """Write the hourly digests, each chained to the previous one of its region."""
        previous: dict[str, tuple[str, str]] = {}
        for (region, hour), files in sorted(self._digests.items()):
            end = (hour + 1) * 3600 + 1
            key = digest_key(self.account, region, end, self.org_id)
            digest = self._digest(region, hour, key, files, previous.get(region))
            body = orjson.dumps(digest)
            self.sink.put(key, gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0))
            previous[region] = (key, hashlib.sha256(body).hexdigest())
        self._digests.clear()

    def _digest(
        self,
        region: str,
        hour: int,
        key: str,
        files: list[dict[str, str]],
        previous: tuple[str, str] | None,
    ) -> dict[str, Any]:
        times = [f["newestEventTime"] for f in files] + [f["oldestEventTime"] for f in files]
        digest: dict[str, Any] = {
            "awsAccountId": self.account,
            "digestStartTime": stamp(hour * 3600 + 1, "%Y-%m-%dT%H:%M:%SZ"),
            "digestEndTime": stamp((hour + 1) * 3600 + 1, "%Y-%m-%dT%H:%M:%SZ"),
            "digestS3Bucket": self.bucket,
            "digestS3Object": key,
            "digestPublicKeyFingerprint": "%032x" % self.rng.getrandbits(128),
            "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": max(times),
            "oldestEventTime": min(times),
            "previousDigestS3Bucket": self.bucket if previous else None,
            "previousDigestS3Object": previous[0] if previous else None,
            "previousDigestHashValue": previous[1] if previous else None,
            "previousDigestHashAlgorithm": "SHA-256" if previous else None,
            "previousDigestSignature": "%0512x" % self.rng.getrandbits(2048) if previous else None,
            "logFiles": files,
        }
        return digest
