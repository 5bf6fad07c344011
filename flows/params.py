"""Typed, validated flow parameters: Prefect checks them (pydantic) before a run starts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field

from trailguard.pipeline.config import settings

# The defaults of every flow's parameters: this process's settings (TRAILGUARD_LAKE, ...).
SETTINGS = settings()

# s3://bucket[/prefix] (bucket naming rules) or a local path; no other URL schemes.
Source = Annotated[
    str,
    Field(
        min_length=1,
        pattern=r"^(s3://[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9](/.*)?|[^:]+)$",
        description="CloudTrail source: s3://bucket[/prefix] or a local folder or file",
    ),
]
Lake = Annotated[Path, Field(description="lake folder (Parquet events + trailguard.duckdb)")]
EndpointUrl = Annotated[
    str | None,
    Field(
        pattern=r"^https?://\S+$", description="S3-compatible endpoint URL (MinIO, a test server)"
    ),
]
TaskRunnerKind = Annotated[
    Literal["thread", "dask"],
    Field(description="where mapped tasks run: threads of the flow process, or a Dask cluster"),
]
DaskAddress = Annotated[
    str | None,
    Field(
        pattern=r"^(tcp|tls|ws|wss|inproc|ucx)://\S+$",
        description="scheduler of an existing Dask cluster; none: a local cluster per run",
    ),
]
DaskWorkers = Annotated[
    int | None, Field(ge=1, le=256, description="workers of the local Dask cluster (CPU count)")
]
BaselineDays = Annotated[
    int, Field(ge=1, le=365, description="days of history the model learns normal behaviour from")
]
SigmaRules = Annotated[
    tuple[str, ...],
    Field(
        description="Sigma rule folders to run (`bundled`: SigmaHQ's CloudTrail rules shipped "
        "with trailguard); empty: no Sigma rules"
    ),
]
TopFindings = Annotated[
    int, Field(ge=1, le=1000, description="findings listed in the run's artifact, by severity")
]
Destination = Annotated[
    str, Field(min_length=1, description="where findings go: a file path, or a SIEM URL")
]
SecurityHubRole = Annotated[
    str | None,
    Field(
        description="Security Hub: the role assumed in each account to import its findings "
        "(arn:aws:iam::{account}:role/NAME, or NAME)",
    ),
]
BatchSize = Annotated[int, Field(ge=1, le=10_000, description="findings per request")]
MaxRetries = Annotated[int, Field(ge=0, le=20, description="retries of a failed send")]
Timeout = Annotated[float, Field(gt=0, le=600, description="seconds per request")]
Shards = Annotated[
    int | None,
    Field(
        ge=1,
        le=4096,
        description="shards of accounts that features and scoring map over as tasks "
        "(default: one per Dask worker; 1 with threads)",
    ),
]
