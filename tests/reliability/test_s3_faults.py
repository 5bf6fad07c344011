"""S3 misbehaving under an ingest: throttling, resets, stalls, 500s and bodies cut short.

A fault-injecting proxy (`faultproxy.py`) sits between trailguard and the local S3 server. A
transient fault is retried with backoff and the run completes with every event; a persistent one
fails that object, clearly, leaves it out of the state, and the next run picks it up.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.reliability.faultproxy import (
    DENIED,
    ERROR,
    FOREVER,
    RESET,
    SLOWDOWN,
    STALL,
    TRUNCATE,
    FaultProxy,
)
from tests.reliability.harness import Corpus, build_corpus, snapshot
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.ingest.batch import read_batch
from trailguard.pipeline.ingest.ingest import ingest
from trailguard.pipeline.ingest.sources.s3 import S3Source
from trailguard.pipeline.lake.db import open_db

pytestmark = pytest.mark.slow


@pytest.fixture
def trail(s3_bucket: tuple[Any, str]) -> tuple[str, Corpus]:
    """The reliability corpus in a fresh bucket: (s3://bucket, corpus)."""
    client, bucket = s3_bucket
    corpus = build_corpus(objects=24, seed=11)
    corpus.upload(client, bucket)
    return f"s3://{bucket}", corpus


@pytest.fixture
def proxy(s3_server: str) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of the local S3 server."""
    started = FaultProxy(s3_server, stall_seconds=3).start()
    yield started
    started.stop()


def keys(corpus: Corpus, every: int, offset: int = 0) -> list[str]:
    return [key for i, key in enumerate(corpus.objects) if i % every == offset]


def test_transient_faults_are_retried_and_the_run_loses_nothing(
    trail: tuple[str, Corpus], proxy: FaultProxy, tmp_path: Path
) -> None:
    uri, corpus = trail
    proxy.inject(SLOWDOWN, RESET, operation="list", times=1)  # the listing itself, twice
    proxy.inject(SLOWDOWN, key_contains=keys(corpus, every=100)[0])
    planned = 3
    # Few throttles: after one, botocore's adaptive mode slows the whole client for a while.
    for offset, fault in enumerate([RESET, ERROR, TRUNCATE], start=1):
        for key in keys(corpus, every=6, offset=offset):
            proxy.inject(fault, fault, key_contains=key)  # each of these objects fails twice
            planned += 2

    summary = ingest(uri, tmp_path / "lake", endpoint_url=proxy.url, workers=1)

    assert summary.failed == []
    assert sum(proxy.injected.values()) == planned  # every planned fault did happen
    assert set(proxy.injected) == {SLOWDOWN, RESET, ERROR, TRUNCATE}
    assert sorted(snapshot(tmp_path / "lake").event_ids) == sorted(corpus.ids)


def test_a_stalled_server_times_out_and_the_request_is_retried(
    trail: tuple[str, Corpus], proxy: FaultProxy
) -> None:
    uri, corpus = trail
    # The stall outlasts the read timeout; a client is passed in with a short one so the test
    # takes seconds (the production client waits 60 s: the same retry path, only slower).
    config = Config(retries={"max_attempts": 8, "mode": "adaptive"}, read_timeout=1)
    client = boto3.session.Session().client("s3", endpoint_url=proxy.url, config=config)
    source = S3Source(uri, client)
    refs = list(source.list_objects())
    for key in keys(corpus, every=6):
        proxy.inject(STALL, key_contains=key)

    result = read_batch(source, refs, datetime.now(UTC))

    assert result.failed == []
    assert proxy.injected[STALL] == len(keys(corpus, every=6))
    assert set(result.table["event_id"].to_pylist()) >= corpus.ids


# A persistent 503 or reset exhausts botocore's 8 attempts in ~40 s (its backoff); these two
# fail as surely and in seconds: AccessDenied is not retried, a body cut short 4 times gives up.
@pytest.mark.parametrize("fault", [DENIED, TRUNCATE])
def test_a_persistently_failing_object_fails_clearly_and_is_read_on_the_next_run(
    fault: str,
    trail: tuple[str, Corpus],
    proxy: FaultProxy,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uri, corpus = trail
    lake = tmp_path / "lake"
    broken = keys(corpus, every=100)[0]
    proxy.inject(fault, key_contains=broken, times=FOREVER)

    code = main(["ingest", "--source", uri, "--lake", str(lake), "--endpoint-url", proxy.url])

    assert code == 1  # the run says it did not read everything, and which object
    out = capsys.readouterr().out
    assert "unreadable objs              1" in out
    (line,) = [x for x in out.splitlines() if x.startswith("  unreadable:")]
    assert line.startswith(f"  unreadable: {uri}/{broken}: ")
    assert ("AccessDenied" if fault == DENIED else "body read failed 4 times") in line
    with open_db(lake, read_only=True) as con:
        state = {key for (key,) in con.execute("SELECT key FROM ingest_state").fetchall()}
    assert broken not in state and len(state) == len(corpus.objects) - 1

    proxy.clear()
    again = ingest(uri, lake, endpoint_url=proxy.url, workers=1)

    assert (again.objects, again.failed) == (1, [])
    assert sorted(snapshot(lake).event_ids) == sorted(corpus.ids)


def test_a_listing_that_keeps_failing_fails_the_run_and_changes_nothing(
    trail: tuple[str, Corpus], proxy: FaultProxy, tmp_path: Path
) -> None:
    uri, corpus = trail
    lake = tmp_path / "lake"
    proxy.inject(DENIED, operation="list", times=FOREVER)

    with pytest.raises(ClientError, match="AccessDenied"):
        ingest(uri, lake, endpoint_url=proxy.url, workers=1)
    assert not list((lake / "events").rglob("*.parquet"))

    proxy.clear()
    ingest(uri, lake, endpoint_url=proxy.url, workers=1)
    assert sorted(snapshot(lake).event_ids) == sorted(corpus.ids)
