"""`prefect.yaml` as documented (docs/orchestration.md, 2b): a process work pool, `prefect deploy
--all`, a `prefect worker start` process, and every deployment run through it to Completed.

The commands are run as a user pastes them, against the real server of `conftest.py`; the worker
runs from a folder that is not this checkout, as it may on another machine with trailguard
installed (the entrypoints are module paths)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.flows.lake_contents import lake_rows
from trailguard.pipeline.findings.store import load_findings
from trailguard.pipeline.lake.db import open_db

pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]
PREFECT = [sys.executable, "-m", "prefect"]  # the `prefect` command of this environment
POOL = "trailguard"  # prefect.yaml's work pool
EXPECTED = {
    # deployment: (cron, parameter names)
    "ingest/every-10-minutes": ("*/10 * * * *", {"source", "lake", "task_runner"}),
    "trailguard_pipeline/hourly": ("5 * * * *", {"lake", "top_findings", "task_runner"}),
    "train/daily": ("30 2 * * *", {"lake", "baseline_days"}),
    "export/every-5-minutes": (
        "*/5 * * * *",
        {"destination", "lake", "batch_size", "max_retries", "timeout"},
    ),
    "build_features/on-demand": (None, {"lake", "full"}),
    "detect/on-demand": (None, {"lake", "top_findings"}),
}
# The order a new lake needs: events, then features and a first model, ..., then delivery.
RUN_ORDER = (
    "ingest/every-10-minutes",
    "trailguard_pipeline/hourly",
    "train/daily",
    "build_features/on-demand",
    "detect/on-demand",
    "export/every-5-minutes",
)
ARTIFACT_KEYS = {"trailguard-findings", "trailguard-findings-summary"}


@dataclass(frozen=True)
class Deployed:
    """What `prefect deploy --all` was given, and the deployments it created."""

    lake: Path
    findings_folder: Path  # the ndjson destination
    env: dict[str, str]
    deployments: dict[str, Any]  # flow/deployment -> the server's record


def prefect(*args: str, env: dict[str, str], cwd: Path, timeout: float = 180) -> str:
    """Run a `prefect` command; its output, or the test fails with it."""
    done = subprocess.run(
        [*PREFECT, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}:\n{done.stdout[-3000:]}{done.stderr}"
    return done.stdout


def _read_deployments() -> dict[str, Any]:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return {
            f"{client.read_flow(d.flow_id).name}/{d.name}": d for d in client.read_deployments()
        }


def _pause(deployments: dict[str, Any]) -> None:
    """Pause the schedules (their pending runs are deleted): a scheduled run due during the test
    would make a run asked for here overlap it, and be cancelled, as the deployments intend."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for deployment in deployments.values():
            client.pause_deployment(deployment.id)


def _delete(deployments: dict[str, Any]) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for deployment in deployments.values():
            client.delete_deployment(deployment.id)


@pytest.fixture(scope="module")
def deployed(
    prefect_api: str, small_org: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployed]:
    """The work pool and every deployment of `prefect.yaml`, on a small synthetic organisation."""
    root = tmp_path_factory.mktemp("deployed")
    env = {
        **os.environ,
        "TRAILGUARD_SOURCE": str(small_org),
        "TRAILGUARD_LAKE": str(root / "lake"),
        "TRAILGUARD_DESTINATION": f"ndjson:{root / 'findings'}",
    }
    prefect("work-pool", "create", POOL, "--type", "process", "--overwrite", env=env, cwd=root)
    prefect("--no-prompt", "deploy", "--all", env=env, cwd=REPO)
    deployments = {k: v for k, v in _read_deployments().items() if k in EXPECTED}
    _pause(deployments)
    yield Deployed(root / "lake", root / "findings", env, deployments)
    _delete(deployments)


@pytest.fixture(scope="module")
def worker(deployed: Deployed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """`prefect worker start` for the pool, polling every second, in a folder of its own."""
    folder = tmp_path_factory.mktemp("worker")
    env = deployed.env | {"PREFECT_WORKER_QUERY_SECONDS": "1"}  # picks a run up at once
    log = (folder / "worker.log").open("wb")
    process = subprocess.Popen(
        [*PREFECT, "worker", "start", "--pool", POOL, "--type", "process"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()


def test_prefect_deploy_all_creates_every_scheduled_deployment(deployed: Deployed) -> None:
    deployments = deployed.deployments
    assert set(deployments) == set(EXPECTED)
    for name, (cron, parameters) in EXPECTED.items():
        deployment = deployments[name]
        crons = [getattr(s.schedule, "cron", None) for s in deployment.schedules]
        assert crons == ([cron] if cron else []), name
        assert set(deployment.parameters) == parameters, name
        assert deployment.work_pool_name == POOL, name
        assert deployment.entrypoint.startswith("trailguard.flows."), name  # a module path
        assert deployment.pull_steps == [], name  # nothing to fetch: the installed package
        if cron:  # one run at a time; an overlapping one is cancelled, not queued
            assert deployment.global_concurrency_limit is not None, name
            assert deployment.global_concurrency_limit.limit == 1, name
            assert deployment.concurrency_options is not None, name
            assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW", name
    ingest = deployments["ingest/every-10-minutes"]
    assert ingest.parameters["source"] == deployed.env["TRAILGUARD_SOURCE"]
    assert ingest.parameters["lake"] == str(deployed.lake)


def run_with_the_cli(name: str, deployed: Deployed) -> str:
    """`prefect deployment run NAME --watch` (exits 0 once the run completed): the run's id."""
    out = prefect("deployment", "run", name, "--watch", env=deployed.env, cwd=deployed.lake.parent)
    found = re.search(r"UUID: ([0-9a-f-]{36})", out)
    assert found, out
    return found.group(1)


def run_with_the_client(name: str) -> str:
    """The same through the Python client, without the CLI's 3 s of start-up: the run's id."""
    from prefect.deployments import run_deployment

    flow_run = run_deployment(name, timeout=300, poll_interval=1)
    assert flow_run.state is not None and flow_run.state.is_completed(), (name, flow_run.state)
    return str(flow_run.id)


def exported(folder: Path) -> list[dict[str, Any]]:
    """The OCSF findings in the ndjson destination's files, in the order they were written."""
    files = sorted(folder.rglob("*.ndjson"))
    return [json.loads(line) for f in files for line in f.read_text().splitlines()]


def run_artifacts(flow_run_id: str) -> dict[str, Any]:
    """key -> data of the artifacts a flow run (or one of its subflow runs) created; of several
    with one key, the latest (the pipeline flow republishes the whole run's findings after its
    rescoring detect subflows published their own rounds)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    with get_client(sync_client=True) as client:
        subflows = client.read_flow_runs(
            flow_run_filter=FlowRunFilter(
                parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[flow_run_id])
            )
        )
        runs = [flow_run_id, *(str(s.id) for s in subflows)]
        artifacts = client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=runs))
        )
    latest_last = sorted(artifacts, key=lambda a: a.created or datetime.min.replace(tzinfo=UTC))
    return {a.key: a.data for a in latest_last if a.key}


def table_rows(data: Any) -> list[dict[str, Any]]:
    """The rows of a table artifact (the server keeps them as JSON text)."""
    rows: list[dict[str, Any]] = json.loads(data) if isinstance(data, str) else data
    return rows


@pytest.mark.slow
def test_a_process_worker_runs_every_deployment_to_completion(
    deployed: Deployed, worker: None, plain_lake: Path
) -> None:
    started = time.monotonic()
    runs = {RUN_ORDER[0]: run_with_the_cli(RUN_ORDER[0], deployed)}  # as docs/orchestration.md
    runs |= {name: run_with_the_client(name) for name in RUN_ORDER[1:]}
    sent = exported(deployed.findings_folder)
    run_with_the_client("export/every-5-minutes")  # completed, with nothing new to send
    print(f"7 deployment runs through the worker: {time.monotonic() - started:.0f} s")

    assert lake_rows(deployed.lake) == lake_rows(plain_lake) != []  # as `trailguard ingest`
    with open_db(deployed.lake, read_only=True) as con:
        findings = {f.finding_id for f in load_findings(con)}
    assert findings  # the synthetic organisation's attacks
    assert {f["finding_info"]["uid"] for f in sent} == findings
    assert len(sent) == len(findings)  # each at its latest revision, once
    assert exported(deployed.findings_folder) == sent  # the second export had nothing to send
    hourly = run_artifacts(runs["trailguard_pipeline/hourly"])  # from its detect subflow
    assert set(hourly) >= ARTIFACT_KEYS
    listed = {row["finding_id"] for row in table_rows(hourly["trailguard-findings"])}
    assert listed and listed <= findings  # the run's new findings, most severe first
    assert set(run_artifacts(runs["detect/on-demand"])) >= ARTIFACT_KEYS
