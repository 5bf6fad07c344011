"""`trailguard serve`: the schedules of `prefect.yaml`, served and run from one process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.flows.conftest import free_port
from tests.flows.lake_contents import lake_rows
from trailguard.pipeline.ingest.ingest import ingest as plain_ingest

pytestmark = pytest.mark.prefect

REPO = Path(__file__).resolve().parents[2]


def _yaml_deployments() -> list[dict[str, Any]]:
    config = yaml.safe_load((REPO / "prefect.yaml").read_text())
    deployments: list[dict[str, Any]] = config["deployments"]
    return deployments


def test_served_deployments_have_the_schedules_and_entrypoints_of_prefect_yaml() -> None:
    from trailguard.flows.serve import SCHEDULES

    in_yaml = {
        (d["entrypoint"], d["name"], (d.get("schedules") or [{}])[0].get("cron"))
        for d in _yaml_deployments()
    }
    served = {(f"{s.flow.fn.__module__}.{s.flow.fn.__name__}", s.name, s.cron) for s in SCHEDULES}
    assert served == in_yaml


def test_served_deployment_names_differ_from_those_of_prefect_yaml(tmp_path: Path) -> None:
    """One server holds both: `serve` must not overwrite a deployment a worker runs."""
    from prefect.flows import load_flow_from_entrypoint

    from trailguard.flows.serve import ServeSettings, deployments

    everything = ServeSettings(lake=tmp_path, source="s3://trail-bucket", destination="ndjson:x")
    served = {f"{d.flow_name}/{d.name}" for d in deployments(everything)}
    in_yaml = {
        f"{load_flow_from_entrypoint(d['entrypoint']).name}/{d['name']}"
        for d in _yaml_deployments()
    }
    assert len(served) == len(in_yaml) == 6
    assert served.isdisjoint(in_yaml)
    assert "ingest/serve-every-10-minutes" in served


def test_serve_leaves_out_ingest_without_a_source_and_export_without_a_destination(
    tmp_path: Path,
) -> None:
    from trailguard.flows.serve import ServeSettings, deployments

    lake_only = {d.flow_name for d in deployments(ServeSettings(lake=tmp_path))}
    everything = ServeSettings(lake=tmp_path, source="s3://trail-bucket", destination="ndjson:x")
    assert lake_only == {"trailguard_pipeline", "train", "build_features", "detect"}
    assert {d.flow_name for d in deployments(everything)} == lake_only | {"ingest", "export"}


def _wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "trailguard serve exited"
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.25)
    pytest.fail(f"trailguard serve not healthy at {url} after {timeout:.0f}s")


def _clear_of_the_ingest_schedule(margin: float = 30) -> None:
    """Wait out a scheduled ingest that is about to start (every 10 minutes): the run asked for
    here would be cancelled as overlapping it, which is what the deployment is set up to do."""
    to_next = 600 - time.time() % 600
    if to_next < margin:
        time.sleep(to_next + 20)  # the scheduled run (same small work) is done by then


def _next_scheduled_run(deployment: str, timeout: float = 60) -> Any:
    """The earliest run the server's scheduler created for `deployment` (waits for it)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort

    deadline = time.monotonic() + timeout
    with get_client(sync_client=True) as client:
        found = client.read_deployment_by_name(deployment)
        while time.monotonic() < deadline:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[found.id])),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(any_=[StateType.SCHEDULED])
                    )
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC,
                limit=1,
            )
            if runs:
                return runs[0]
            time.sleep(1)
    pytest.fail(f"the scheduler created no run for {deployment} in {timeout:.0f}s")


def _bring_forward_and_wait(run: Any, timeout: float = 180) -> Any:
    """Move a scheduled run's start to now (a schedule tick, without waiting for the clock) and
    wait for the serving process to run it to a final state."""
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    with get_client(sync_client=True) as client:
        client.set_flow_run_state(run.id, Scheduled(), force=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            current = client.read_flow_run(run.id)
            if current.state is not None and current.state.is_final():
                return current
            time.sleep(1)
    pytest.fail(f"the scheduled run {run.id} did not finish in {timeout:.0f}s")


def test_trailguard_serve_runs_the_schedules_runs_and_runs_on_demand(
    prefect_api: str, small_org: Path, tmp_path: Path
) -> None:
    from prefect.deployments import run_deployment

    one_day = sorted(small_org.glob("AWSLogs/*/CloudTrail/*/*/*/*"))[0]
    source = tmp_path / "source" / one_day.relative_to(small_org)
    shutil.copytree(one_day, source)
    plain_ingest(str(tmp_path / "source"), tmp_path / "plain", workers=1)
    port = free_port()
    env = {**os.environ, "PREFECT_RUNNER_SERVER_PORT": str(port), "TRAILGUARD_LAKE": ""}
    env["PREFECT_RUNNER_POLL_FREQUENCY"] = "1"  # pick the run up at once, not within 10 s
    command = ["trailguard", "serve", "--lake", str(tmp_path / "lake")]
    command += ["--source", str(tmp_path / "source")]
    serving = subprocess.Popen(command, env=env, cwd=tmp_path)  # any folder: module entrypoints
    try:
        _wait_healthy(f"http://localhost:{port}/health", serving)
        _clear_of_the_ingest_schedule()
        scheduled = _next_scheduled_run("ingest/serve-every-10-minutes")
        assert scheduled.expected_start_time.minute % 10 == 0  # the cron of prefect.yaml
        ticked = _bring_forward_and_wait(scheduled)
        flow_run = run_deployment("ingest/serve-every-10-minutes", timeout=180)
    finally:
        serving.send_signal(signal.SIGINT)
        try:
            serving.wait(timeout=30)
        except subprocess.TimeoutExpired:
            serving.kill()
    assert ticked.state.is_completed(), ticked.state
    assert flow_run.state is not None and flow_run.state.is_completed(), flow_run.state
    assert lake_rows(tmp_path / "lake") == lake_rows(tmp_path / "plain") != []


def test_the_serve_command_imports_prefect_only_when_it_runs() -> None:
    probe = "import sys, trailguard.pipeline.cli.main; sys.exit('prefect' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], check=False).returncode == 0


def test_trailguard_flow_refuses_bad_parameters_with_a_message_and_runs_good_ones(
    prefect_api: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from trailguard.pipeline.cli.main import main

    lake = str(tmp_path / "lake")
    refused = main(["flow", "ingest", "--lake", lake, "--source", "ftp://example.com/trail"])
    assert refused == 2
    assert "source: String should match pattern" in capsys.readouterr().err
    assert main(["flow", "export", "--lake", lake]) == 2
    assert "flow export needs --destination" in capsys.readouterr().err

    assert main(["flow", "features", "--lake", lake]) == 0
    assert capsys.readouterr().out.startswith("windows 0  principals 0")
