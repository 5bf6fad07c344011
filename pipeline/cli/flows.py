"""Prefect subcommands of `trailguard`: `serve` (every deployment, one process), `flow` (one run).

Prefect is imported inside the commands: it takes seconds to import, and the other commands
never need it. Defaults come from TRAILGUARD_* variables, so a container needs no arguments.

Both commands need a Prefect API. Before importing any flow they ask `PREFECT_API_URL`'s
`/health` (a few seconds at most) and stop with one line saying how to start a server: left to
itself, Prefect would retry an unreachable URL for a minute, or, with no URL, start a temporary
server of its own that can take longer to boot than Prefect waits for it. `trailguard flow
--ephemeral` lets Prefect start that temporary server (nothing of the run is kept once it ends).
"""

from __future__ import annotations

import argparse
import inspect
import os
import ssl
import urllib.error
import urllib.request
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
# The same stage without Prefect, offered when there is no Prefect API.
WITHOUT_PREFECT = {
    "ingest": "trailguard ingest",
    "features": "trailguard features",
    "train": "trailguard train",
    "detect": "trailguard detect",
    "export": "trailguard export",
    "pipeline": "trailguard run",
    "serve": "trailguard run",  # and `trailguard export`, from cron
}
LOCAL_API = "http://127.0.0.1:4200/api"  # `prefect server start`'s
HEALTH_TIMEOUT = 3.0  # seconds; a server on the same network answers /health in milliseconds
EPHEMERAL_STARTUP = "120"  # seconds Prefect waits for its temporary server (default 20)


class NoPrefectApi(ValueError):
    """No Prefect API where the command would send its runs (a usage error: exit 2)."""


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


def configured_api_url() -> str | None:
    """PREFECT_API_URL: the environment's, else the active Prefect profile's (None: not set)."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        return url
    from prefect.settings import get_current_settings  # profiles.toml, .env: a second or two

    configured: str | None = get_current_settings().api.url
    return configured or None


def api_problem(url: str, timeout: float = HEALTH_TIMEOUT) -> str | None:
    """Why the Prefect API at `url` cannot be reached (None: its /health answered)."""
    if not url.startswith(("http://", "https://")):
        return "not an http(s) URL"
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/health", timeout=timeout):
            return None
    except urllib.error.HTTPError as exc:
        if exc.code in (401, 403):  # a server that wants credentials: Prefect's client has them
            return None
        return f"/health answered HTTP {exc.code}; the API's URL ends in /api"
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, ssl.SSLError):  # a TLS server: Prefect applies its TLS settings
            return None
        return str(exc.reason)
    except OSError as exc:  # connected, then no answer in time (TimeoutError) or a reset
        return str(exc) or type(exc).__name__


def require_api(command: str, *, ephemeral: bool = False) -> None:
    """Raise `NoPrefectApi` unless a Prefect API answers (or `ephemeral` allows Prefect's own)."""
    url = configured_api_url()
    if url is None and ephemeral:
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", EPHEMERAL_STARTUP)
        return
    problem = "none set" if url is None else api_problem(url)
    if problem is None:
        return
    where = "" if url is None else f" at PREFECT_API_URL={url}"
    opt_in = ", or pass --ephemeral for a throwaway server" if command in FLOWS else ""
    stage = "the same stage" if command in FLOWS else "the stages"
    raise NoPrefectApi(
        f"no Prefect API{where} ({problem}): start one with `prefect server start` and "
        f"export PREFECT_API_URL={LOCAL_API}{opt_in}, or run {stage} without Prefect: "
        f"`{WITHOUT_PREFECT[command]}`"
    )


def cmd_serve(args: argparse.Namespace) -> int:
    """`trailguard serve`."""
    _no_telemetry()
    require_api("serve")
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
    p.add_argument(
        "--ephemeral",
        action="store_true",
        help="without PREFECT_API_URL, let Prefect start a temporary server for this run",
    )
    p.set_defaults(command=cmd_flow)


def cmd_flow(args: argparse.Namespace) -> int:
    """`trailguard flow NAME`: the flow's own parameters, taken from the options given."""
    import importlib

    _no_telemetry()
    require_api(args.name, ephemeral=args.ephemeral)
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
