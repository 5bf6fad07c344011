"""Flow tests run against a real Prefect server: started here on a free loopback port, unless
`PREFECT_API_URL` already names one (as `.ci/run` may). The environment is set when this file
is imported, before any test imports Prefect (its settings are read once), and is inherited by
Dask worker processes, so no process starts a server of its own or talks to Prefect Cloud."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

_HOME = Path(tempfile.mkdtemp(prefix="trailguard-prefect-"))
_QUIET = {
    "DO_NOT_TRACK": "1",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_UI_ENABLED": "false",
    "PREFECT_SERVER_UI_ENABLED": "false",
    "PREFECT_CLOUD_API_URL": "http://127.0.0.1:9/api",  # never Prefect Cloud
    "PREFECT_LOGGING_LEVEL": "WARNING",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


# Set beside the URL this file chose. A process that inherits both (a `pytest -n` worker of a
# controller that imported this file, when the flow tests are named on the command line) did
# not start that server: it chooses its own.
_CHOSEN_BY_TESTS = "TRAILGUARD_TESTS_PREFECT_SERVER"


def _configure() -> tuple[str, int | None]:
    """Point Prefect at our server (a free port) unless `PREFECT_API_URL` names one already."""
    if os.environ.get("PREFECT_API_URL") and not os.environ.get(_CHOSEN_BY_TESTS):
        return os.environ["PREFECT_API_URL"], None
    os.environ["PREFECT_HOME"] = str(_HOME)  # the server's database, removed at exit
    os.environ.update(_QUIET)
    port = free_port()
    os.environ["PREFECT_API_URL"] = f"http://127.0.0.1:{port}/api"
    os.environ[_CHOSEN_BY_TESTS] = "1"
    return os.environ["PREFECT_API_URL"], port


API_URL, _PORT = _configure()
_SERVER: list[subprocess.Popen[bytes]] = []


def _start_server() -> None:
    """Start `prefect server start` once (it takes ~20 s); tests wait for it only when needed."""
    if _PORT is None or _SERVER:
        return
    command = [sys.executable, "-m", "prefect", "server", "start", "--host", "127.0.0.1"]
    log = (_HOME / "server.log").open("wb")
    _SERVER.append(
        subprocess.Popen(
            [*command, "--port", str(_PORT), "--no-ui"], stdout=log, stderr=subprocess.STDOUT
        )
    )


@atexit.register
def _stop_server() -> None:
    """Stop the server this file started."""
    for server in _SERVER:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    _SERVER.clear()
    shutil.rmtree(_HOME, ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Start the server as soon as tests that need it are collected, so that it boots while
    other tests run. Under `pytest -n` every worker collects every test, so there the one worker
    given them (tests/conftest.py groups them) starts it, in `prefect_api`."""
    needed = any("prefect_api" in getattr(item, "fixturenames", ()) for item in items)
    if needed and "PYTEST_XDIST_WORKER" not in os.environ:
        _start_server()


def _wait_healthy(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _SERVER and _SERVER[0].poll() is not None:
            log = (_HOME / "server.log").read_text(errors="replace")
            pytest.fail(f"prefect server exited with {_SERVER[0].returncode}:\n{log[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"prefect server at {url} not healthy after {timeout:.0f}s")


@pytest.fixture(scope="session")
def prefect_api(plain_lake: Path) -> Iterator[str]:
    """The URL of a healthy Prefect server's API (the reference lake is built while it boots)."""
    _start_server()
    _wait_healthy(API_URL)
    yield API_URL
    _stop_server()


@pytest.fixture
def dask_scheduler() -> Iterator[str]:
    """The address of a 2-worker Dask cluster, one thread each, each worker in its own process
    as `--dask-workers` starts them (in-process workers once hung the flow: DuckDB registering an
    Arrow table while the workers' threads ran, docs/orchestration.md)."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="session")
def small_org(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic organisation with attacks: 2 days, 2 accounts, 2 regions (~1,000 files)."""
    from trailguard.pipeline.synth.generate import generate_organisation

    full = tmp_path_factory.mktemp("org-full")
    generate_organisation(str(full), days=2, accounts=2, principals=6, seed=7, workers=1)
    org = tmp_path_factory.mktemp("org")
    for region_dir in sorted(full.glob("AWSLogs/*/CloudTrail/*")):
        if region_dir.name in {"us-east-1", "eu-west-1"}:
            shutil.copytree(region_dir, org / region_dir.relative_to(full))
    return org


@pytest.fixture(scope="session")
def plain_lake(small_org: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`small_org` ingested by `trailguard ingest` (the reference the flows are held to)."""
    from trailguard.pipeline.ingest.ingest import ingest

    lake = tmp_path_factory.mktemp("plain") / "lake"
    ingest(str(small_org), lake, workers=1)
    return lake
