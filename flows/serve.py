"""`trailguard serve`: every scheduled deployment of `prefect.yaml`, run by this one process.

For a single machine without a work pool or worker: `prefect.serve` registers the deployments
with the Prefect server and runs each scheduled flow run in a subprocess of this process. The
schedules are those of `prefect.yaml` (a test keeps the two in step); the deployment names carry
a `serve-` prefix (`ingest/serve-every-10-minutes`), so serving and `prefect deploy` on one
server never overwrite each other's deployments (a served deployment has no work pool: a worker
would never run it, and `prefect deploy` would take the schedules away from `serve`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import Flow, serve
from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
from prefect.deployments.runner import RunnerDeployment
from prefect.types.entrypoint import EntrypointType

from trailguard.flows.detect import detect
from trailguard.flows.export import export
from trailguard.flows.features import build_features
from trailguard.flows.ingest import ingest
from trailguard.flows.pipeline import trailguard_pipeline
from trailguard.flows.train import train
from trailguard.pipeline.config import DEFAULTS

SERVED_PREFIX = "serve-"


@dataclass(frozen=True)
class Schedule:
    """One deployment: the flow, its name in `prefect.yaml`, its cron (None: run by hand) and
    what it is for."""

    flow: Flow[Any, Any]
    name: str
    cron: str | None
    description: str

    @property
    def served_name(self) -> str:
        """The deployment's name when served (`serve-<name>`)."""
        return f"{SERVED_PREFIX}{self.name}"


SCHEDULES = (
    Schedule(ingest, "every-10-minutes", "*/10 * * * *", "new CloudTrail objects into the lake"),
    Schedule(trailguard_pipeline, "hourly", "5 * * * *", "features, a first model, detection"),
    Schedule(train, "daily", "30 2 * * *", "retrain the anomaly model"),
    Schedule(export, "every-5-minutes", "*/5 * * * *", "new and updated findings to the SIEM"),
    Schedule(build_features, "on-demand", None, "recompute features"),
    Schedule(detect, "on-demand", None, "rules and model from a given time"),
)


@dataclass(frozen=True)
class ServeSettings:
    """What the served deployments run on (their default parameters)."""

    lake: Path
    source: str | None = None  # no source: no ingest deployment
    destination: str | None = None  # no destination: no export deployment
    endpoint_url: str | None = None
    task_runner: str = "thread"
    dask_address: str | None = None
    dask_workers: int | None = None
    shards: int | None = None  # features and scoring; None: one per Dask worker, 1 on threads
    baseline_days: int = DEFAULTS.baseline_days
    top_findings: int = 20


def parameters(flow_name: str, settings: ServeSettings) -> dict[str, Any] | None:
    """The parameters a flow's deployment runs with; None when the settings leave it out."""
    lake = str(settings.lake)
    runner = {
        "task_runner": settings.task_runner,
        "dask_address": settings.dask_address,
        "dask_workers": settings.dask_workers,
    }
    sharded = runner | {"shards": settings.shards}
    by_flow: dict[str, dict[str, Any] | None] = {
        "ingest": None
        if not settings.source
        else {"source": settings.source, "lake": lake, "endpoint_url": settings.endpoint_url}
        | runner,
        "trailguard_pipeline": {"lake": lake, "top_findings": settings.top_findings} | sharded,
        "train": {"lake": lake, "baseline_days": settings.baseline_days},
        "export": None
        if not settings.destination
        else {"destination": settings.destination, "lake": lake},
        "build_features": {"lake": lake} | sharded,
        "detect": {"lake": lake, "top_findings": settings.top_findings} | sharded,
    }
    return by_flow[flow_name]


def deployments(settings: ServeSettings) -> list[RunnerDeployment]:
    """The deployments to serve, with one run at a time each (an overlapping run is cancelled)."""
    one_at_a_time = ConcurrencyLimitConfig(
        limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW
    )
    served = []
    for s in SCHEDULES:
        params = parameters(s.flow.name, settings)
        if params is None:
            continue
        deployment = s.flow.to_deployment(
            name=s.served_name,
            cron=s.cron,
            parameters={k: v for k, v in params.items() if v is not None},
            description=s.description,
            tags=["trailguard", "served"],
            concurrency_limit=one_at_a_time if s.cron else None,
            # Imported by module, so runs start from any working directory (a container).
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
        assert isinstance(deployment, RunnerDeployment)  # the sync form, outside an event loop
        served.append(deployment)
    return served


def serve_all(
    settings: ServeSettings, *, limit: int | None = None, health_port: bool = True
) -> None:
    """Register the deployments and run their scheduled flow runs until interrupted."""
    # Restarts (a new container) must not leave the schedules paused.
    serve(*deployments(settings), pause_on_shutdown=False, limit=limit, webserver=health_port)
