"""`trailguard flow` and `serve` without a Prefect API: one line saying how to start one, exit 2,
within seconds (Prefect alone retries for a minute, or boots a temporary server that may time
out). No server needed: each case runs the installed command with its own environment."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.flows.conftest import free_port

FAST = 15.0  # seconds: Python and Prefect's settings start in ~2 s, /health waits 3 s at most


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An API URL whose server accepts connections and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)  # the kernel completes connections; nobody reads them
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/api"


def run_trailguard(args: list[str], api_url: str | None, tmp_path: Path) -> tuple[int, str, float]:
    """Exit code, stderr and seconds of `trailguard ARGS` with PREFECT_API_URL=`api_url` (None:
    unset, and no Prefect profile that sets it)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # an empty profile
    if api_url is not None:
        env["PREFECT_API_URL"] = api_url
    started = time.monotonic()
    done = subprocess.run(
        ["trailguard", *args, "--lake", str(tmp_path / "lake")],
        cwd=tmp_path,  # no .env or pyproject.toml of this checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stderr, time.monotonic() - started


def test_trailguard_flow_without_prefect_api_url_says_how_to_start_a_server(
    tmp_path: Path,
) -> None:
    code, err, seconds = run_trailguard(["flow", "detect"], None, tmp_path)
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith("trailguard: no Prefect API (none set): start one with `prefect server")
    assert "export PREFECT_API_URL=http://127.0.0.1:4200/api" in err
    assert "--ephemeral" in err  # the opt-in to Prefect's temporary server
    assert err.rstrip().endswith("without Prefect: `trailguard detect`")
    assert seconds < FAST


def test_trailguard_flow_with_nothing_at_prefect_api_url_fails_at_once(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    code, err, seconds = run_trailguard(["flow", "pipeline"], url, tmp_path)
    assert (code, err.count("\n")) == (2, 1), err
    assert err.startswith(f"trailguard: no Prefect API at PREFECT_API_URL={url} (")
    assert "refused" in err
    assert err.rstrip().endswith("without Prefect: `trailguard run`")
    assert seconds < FAST


def test_a_server_that_never_answers_is_given_up_on_in_seconds(
    silent_server: str, tmp_path: Path
) -> None:
    ingest = ["flow", "ingest", "--source", "x"]
    code, err, seconds = run_trailguard(ingest, silent_server, tmp_path)
    assert (code, err.count("\n")) == (2, 1), err
    assert f"no Prefect API at PREFECT_API_URL={silent_server} (timed out)" in err
    assert seconds < FAST


def test_trailguard_serve_without_an_api_fails_at_once_and_offers_no_temporary_server(
    tmp_path: Path,
) -> None:
    url = f"http://127.0.0.1:{free_port()}/api"
    code, err, seconds = run_trailguard(["serve"], url, tmp_path)
    assert (code, err.count("\n")) == (2, 1), err
    assert "no Prefect API at PREFECT_API_URL=" in err
    assert "--ephemeral" not in err  # schedules need a server that stays
    assert err.rstrip().endswith("run the stages without Prefect: `trailguard run`")
    assert seconds < FAST
    code, err, _ = run_trailguard(["serve"], None, tmp_path)
    assert (code, err.count("\n")) == (2, 1), err
    assert "no Prefect API (none set)" in err
