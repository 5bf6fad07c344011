"""`prefect.yaml` deploys as documented: `prefect deploy --all` against a real server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]
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


def _create_process_pool(name: str) -> None:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.actions import WorkPoolCreate

    with get_client(sync_client=True) as client:
        client.create_work_pool(WorkPoolCreate(name=name, type="process"), overwrite=True)


def test_prefect_deploy_all_creates_every_scheduled_deployment(
    prefect_api: str, tmp_path: Path
) -> None:
    from prefect.client.orchestration import get_client

    _create_process_pool("trailguard")
    env = {
        **os.environ,
        "PWD": str(REPO),
        "TRAILGUARD_SOURCE": "s3://org-cloudtrail/AWSLogs/",
        "TRAILGUARD_LAKE": str(tmp_path / "lake"),
        "TRAILGUARD_DESTINATION": f"ndjson:{tmp_path / 'findings.ndjson'}",
    }
    done = subprocess.run(
        [sys.executable, "-m", "prefect", "--no-prompt", "deploy", "--all"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    with get_client(sync_client=True) as client:
        deployments = {
            f"{client.read_flow(d.flow_id).name}/{d.name}": d for d in client.read_deployments()
        }
        for deployment in deployments.values():  # no worker will run their scheduled runs
            client.delete_deployment(deployment.id)
    assert set(EXPECTED) <= set(deployments)
    for name, (cron, parameters) in EXPECTED.items():
        deployment = deployments[name]
        crons = [getattr(s.schedule, "cron", None) for s in deployment.schedules]
        assert crons == ([cron] if cron else []), name
        assert set(deployment.parameters) == parameters, name
        assert deployment.work_pool_name == "trailguard", name
        if cron:  # one run at a time; an overlapping one is cancelled, not queued
            assert deployment.global_concurrency_limit is not None, name
            assert deployment.global_concurrency_limit.limit == 1, name
            assert deployment.concurrency_options is not None, name
            assert deployment.concurrency_options.collision_strategy == "CANCEL_NEW", name
    ingest = deployments["ingest/every-10-minutes"]
    assert ingest.parameters["source"] == "s3://org-cloudtrail/AWSLogs/"
    assert ingest.parameters["lake"] == str(tmp_path / "lake")
    assert ingest.pull_steps == [
        {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
    ]
