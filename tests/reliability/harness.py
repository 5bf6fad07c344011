"""What the reliability tests share: a corpus with known answers, a crashable run, a lake snapshot.

The corpus is CloudTrail-shaped objects with every case ingest must get right at once: events
re-delivered in a second object, a record without eventID (derived id), one without eventTime
(quarantined), an eventID reused by a different event (collision, quarantined), gzip and plain
JSON, two accounts, three days. `Corpus.ids` is what the lake must hold afterwards: every valid
event exactly once.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from tests.factories import DELETE, cloudtrail_event

LAUNCH = Path(__file__).with_name("launch.py")
ACCOUNTS = ("111122223333", "444455556666")
REGIONS = ("us-east-1", "eu-west-1")
# Small thresholds so a corpus of 30 objects crosses every boundary of a run: several worker
# batches, several flushes (rows + state), compaction of a partition.
SMALL_RUN = ("5", "100000", "2")  # objects per batch, bytes (~100 rows) per flush, files to compact
_EPOCH = datetime(2026, 11, 1, tzinfo=UTC)  # an ingest time after the corpus's days


@dataclass
class Corpus:
    """Objects by key, and the eventIDs the lake must hold after ingesting them."""

    objects: dict[str, bytes] = field(default_factory=dict)
    ids: set[str] = field(default_factory=set)
    quarantined_records: int = 0

    def write(self, root: Path) -> Path:
        """Lay the objects out under `root` as a bucket would; returns `root`."""
        for key, body in self.objects.items():
            path = root / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(body)
        return root

    def upload(self, client: Any, bucket: str) -> None:
        """Put every object into `bucket`."""
        for key, body in self.objects.items():
            client.put_object(Bucket=bucket, Key=key, Body=body)


def build_corpus(objects: int = 30, seed: int = 7) -> Corpus:
    """A deterministic corpus of `objects` objects (see the module docstring)."""
    rng = random.Random(seed)
    corpus = Corpus()
    previous: list[dict[str, Any]] = []
    by_index: dict[int, list[dict[str, Any]]] = {}
    for i in range(objects):
        account, region, day = ACCOUNTS[i % 2], REGIONS[i % 4 // 2], 1 + i % 3
        records = [_event(rng, account, region, day) for _ in range(rng.randint(5, 11))]
        corpus.ids.update(r["eventID"] for r in records)
        if i % 5 == 4 and previous:  # global-service events arrive twice, in two objects
            records.extend(previous[:3])
        if i == 7:
            derived = _event(rng, account, region, day, eventID=DELETE)
            records.append(derived)
            corpus.ids.add(_derived_id(derived))
            records.append(_event(rng, account, region, day, eventTime=DELETE))
            corpus.quarantined_records += 1
        if i == 14:  # object 2 is the same account and day: same partition
            taken = by_index[2][0]
            records.append(dict(taken, eventName="NotTheSameEvent"))
            corpus.quarantined_records += 1
        by_index[i] = records
        previous = records
        corpus.objects[_key(i, account, region, day)] = _encode(i, records)
    return corpus


def _event(rng: random.Random, account: str, region: str, day: int, **over: Any) -> dict[str, Any]:
    second = rng.randrange(86_400)
    time = f"2026-10-{day:02d}T{second // 3600:02d}:{second // 60 % 60:02d}:{second % 60:02d}Z"
    fields: dict[str, Any] = {
        "eventID": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "eventTime": time,
        "eventName": rng.choice(["ListUsers", "GetObject", "AssumeRole", "DescribeInstances"]),
        "awsRegion": region,
        "recipientAccountId": account,
        "userIdentity__accountId": account,
    }
    fields.update(over)
    return cloudtrail_event(**fields)


def _derived_id(record: dict[str, Any]) -> str:
    from trailguard.pipeline.ingest.normalize import normalize_record

    return str(normalize_record(record, "x", _EPOCH)["event_id"])


def _key(i: int, account: str, region: str, day: int) -> str:
    stamp = f"202610{day:02d}T{i % 24:02d}{i % 60:02d}Z"
    suffix = "json.gz" if i % 3 else "json"
    folder = f"AWSLogs/{account}/CloudTrail/{region}/2026/10/{day:02d}"
    return f"{folder}/{account}_CloudTrail_{region}_{stamp}_{i:016d}.{suffix}"


def _encode(i: int, records: list[dict[str, Any]]) -> bytes:
    body = json.dumps({"Records": records}).encode()
    return gzip.compress(body, mtime=0) if i % 3 else body


# ---------------------------------------------------------------------------------------------
# Running trailguard in a child process that a crash point may SIGKILL.


@dataclass(frozen=True)
class Outcome:
    """How a child run ended."""

    returncode: int
    stdout: str
    stderr: str

    @property
    def killed(self) -> bool:
        """True when the run died of SIGKILL (a crash point fired)."""
        return self.returncode == -signal.SIGKILL


def run_trailguard(
    args: list[str],
    *,
    crash_at: str | None = None,
    crash_call: str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 120,
) -> Outcome:
    """`trailguard <args>` (small thresholds) in its own process group; killed whole on timeout.

    `crash_at` names a crash point (`pipeline/faults.py`), `crash_call` a function of `pipeline`
    (`launch.py`), each as `<name>:<n>`: the run is SIGKILLed at its n-th pass there.
    """
    child_env = {**os.environ, **(env or {})}
    for name in ("TRAILGUARD_CRASH_AT", "TRAILGUARD_CRASH_ROOT", "TRAILGUARD_CRASH_CALL"):
        child_env.pop(name, None)
    if crash_at:
        child_env["TRAILGUARD_CRASH_AT"] = crash_at
    if crash_call:
        child_env["TRAILGUARD_CRASH_CALL"] = crash_call
    cmd = [sys.executable, str(LAUNCH), *SMALL_RUN, *args]
    proc = subprocess.Popen(
        cmd,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own group: a crash point kills it and its workers only
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        message = f"trailguard {args} hung for {timeout}s; stderr: {err[-2000:]}"
        raise AssertionError(message) from None
    finally:
        _reap_group(proc.pid)
    return Outcome(proc.returncode, out, err)


def _reap_group(pgid: int) -> None:
    """Leave no worker of a killed run behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


# ---------------------------------------------------------------------------------------------
# What a lake holds, in a form two lakes can be compared by.


@dataclass(frozen=True)
class Snapshot:
    """Rows of the lake (without the ingest time), the object state and the quarantine."""

    events: list[tuple[Any, ...]]
    state: list[tuple[Any, ...]]
    quarantine: list[tuple[Any, ...]]

    @property
    def event_ids(self) -> list[str]:
        """Every event_id, duplicates kept."""
        return [row[0] for row in self.events]


def snapshot(lake: Path) -> Snapshot:
    """Read a lake's Parquet files and state directly (not through the `events` view)."""
    files = str(lake / "events" / "*" / "*" / "*.parquet")
    with duckdb.connect(str(lake / "trailguard.duckdb"), read_only=True) as con:
        events = con.execute(
            "SELECT * EXCLUDE (ingested_at) FROM read_parquet($files, hive_partitioning = true)"
            " ORDER BY event_id, source_key",
            {"files": files},
        ).fetchall()
        state = con.execute(
            "SELECT source, key, version, size, records, quarantined FROM ingest_state ORDER BY ALL"
        ).fetchall()
        quarantine = con.execute(
            "SELECT source_key, object_version, record_index, reason FROM quarantine ORDER BY ALL"
        ).fetchall()
    return Snapshot(events, state, quarantine)


def leftovers(lake: Path) -> list[Path]:
    """Temporary files and compaction journals: none may survive a completed run."""
    events = lake / "events"
    return sorted([*events.rglob(".*.tmp"), *events.rglob("_compaction.json")])
