"""Prefect subcommands of `trailguard`: `serve` (every deployment, one process), `flow` (one run).

Prefect is imported inside the commands: it takes seconds to import, and the other commands
never need it. Defaults come from TRAILGUARD_* variables, so a container needs no arguments.
"""

from __future__ import annotations

import argparse
import inspect
import os
from typing import TYPE_CHECKING, Any

from trailguard.pipeline.cli.args import add_lake_arg
from trailguard.pipeline.config import settings

if TYPE_CHECKING:
    Sub = argparse._SubParsersAction[argparse.ArgumentParser]

# `trailguard flow NAME`: the module and flow function of each flow.
FLOWS = {
    "ingest": ("trailguard.flows.ingest", "ingest"),
    "features": ("trailguard.flows.features", "build_features"),
    "train": ("trailguard.flows.train", "train"),
    "detect": ("trailguard.flows.detect", "detect"),
    "export": ("trailguard.flows.export", "export"),
    "pipeline": ("trailguard.flows.pipeline", "trailguard_pipeline"),
}


def add_flow_commands(sub: Sub) -> None:
    """Register `serve` and `flow` on the `trailguard` parser."""
    _serve(sub)
    _flow(sub)


def _common(p: argparse.ArgumentParser) -> None:
    env = settings()
    add_lake_arg(p)
    p.add_argument("--source", default=env.source, help="s3://bucket[/prefix]")
    p.add_argument("--destination", default=env.destination, help="SIEM or file")
    p.add_argument("--endpoint-url", default=env.endpoint_url, help="S3-compatible")
    p.add_argument(
        "--task-runner",
        choices=["thread", "dask"],
        default=env.task_runner,
        help="where mapped tasks run (dask: --dask-address, or a local cluster)",
    )
    p.add_argument(
        "--dask-address",
        default=env.dask_address,
        help="scheduler of an existing Dask cluster, tcp://host:8786",
    )
    p.add_argument("--dask-workers", type=int, help="workers of a local Dask cluster (CPUs)")
    p.add_argument(
        "--shards",
        type=int,
        help="shards of accounts features and scoring map over (one per Dask worker; 1: threads)",
    )


def _serve(sub: Sub) -> None:
    p = sub.add_parser("serve", help="run every scheduled flow from this process (no work pool)")
    _common(p)
    p.add_argument("--limit", type=int, help="most flow runs at once (default: no limit)")
    p.add_argument(
        "--no-health", action="store_true", help="no /health endpoint on PREFECT_RUNNER_SERVER_PORT"
    )
    p.set_defaults(command=cmd_serve)


def _no_telemetry() -> None:
    """Before Prefect is imported: a self-hosted security tool does not report usage anywhere."""
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def cmd_serve(args: argparse.Namespace) -> int:
    """`trailguard serve`."""
    _no_telemetry()
    from trailguard.flows.serve import ServeSettings, serve_all

    if args.task_runner == "dask" and not args.dask_address:
        print("trailguard: each flow run starts a local Dask cluster (no --dask-address)")
    settings = ServeSettings(
        lake=args.lake,
        source=args.source,
        destination=args.destination,
        endpoint_url=args.endpoint_url,
        task_runner=args.task_runner,
        dask_address=args.dask_address,
        dask_workers=args.dask_workers,
        shards=args.shards,
    )
    serve_all(settings, limit=args.limit, health_port=not args.no_health)
    return 0


def _flow(sub: Sub) -> None:
    p = sub.add_parser("flow", help="run one Prefect flow once (logged to PREFECT_API_URL)")
    p.add_argument("name", choices=sorted(FLOWS), help="the flow (pipeline: ingest to detect)")
    _common(p)
    p.set_defaults(command=cmd_flow)


def cmd_flow(args: argparse.Namespace) -> int:
    """`trailguard flow NAME`: the flow's own parameters, taken from the options given."""
    import importlib

    _no_telemetry()
    module, name = FLOWS[args.name]
    flow = getattr(importlib.import_module(module), name)
    wanted = inspect.signature(flow.fn).parameters
    given = flow_parameters(args)
    missing = [p for p, spec in wanted.items() if spec.default is spec.empty and p not in given]
    if missing:
        raise ValueError(f"flow {args.name} needs --{missing[0].replace('_', '-')}")
    from prefect.exceptions import ParameterTypeError

    try:
        result = flow(**{k: v for k, v in given.items() if k in wanted})
    except ParameterTypeError as exc:
        raise ValueError(str(exc)) from None  # printed as a usage error, not a traceback
    print(summary_line(result))
    return 0


def summary_line(result: object) -> str:
    """The scalar fields of a flow's result (its counts), on one line."""
    fields = vars(result) if hasattr(result, "__dict__") else {}
    scalars = {k: v for k, v in fields.items() if isinstance(v, int | float | str)}
    return "  ".join(
        f"{k} {v:.1f}" if isinstance(v, float) else f"{k} {v}" for k, v in scalars.items()
    )


def flow_parameters(args: argparse.Namespace) -> dict[str, Any]:
    """Flow parameters from the command line (options left unset are not passed)."""
    values = {
        "lake": args.lake,
        "source": args.source,
        "destination": args.destination,
        "endpoint_url": args.endpoint_url,
        "task_runner": args.task_runner,
        "dask_address": args.dask_address,
        "dask_workers": args.dask_workers,
        "shards": args.shards,
    }
    return {k: v for k, v in values.items() if v is not None}
