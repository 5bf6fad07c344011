"""One typed Settings object: trailguard's defaults and the environment variables that change them.

Every entry point (the CLI, the Prefect flows, `trailguard serve`) takes its defaults from here;
no other module reads a `TRAILGUARD_*` variable. `settings()` reads this process's environment;
`load_settings(environ)` is the pure form the tests use.

| variable                   | field          | default  |
|----------------------------|----------------|----------|
| TRAILGUARD_LAKE            | lake           | ./lake   |
| TRAILGUARD_SOURCE          | source         | none     |
| TRAILGUARD_DESTINATION     | destination    | none     |
| AWS_ENDPOINT_URL_S3        | endpoint_url   | none     |
| TRAILGUARD_BASELINE_DAYS   | baseline_days  | 14       |
| TRAILGUARD_LEARNING_DAYS   | learning_days  | 7        |
| TRAILGUARD_LOCK_TIMEOUT    | lock_timeout   | 1800 s   |
| TRAILGUARD_TASK_RUNNER     | task_runner    | thread   |
| TRAILGUARD_DASK_ADDRESS    | dask_address   | none     |
| TRAILGUARD_SIGMA_RULES     | sigma_rules    | bundled  |
| TRAILGUARD_TRUSTED_ACCOUNTS | trusted_accounts | none   |
| TRAILGUARD_SECURITYHUB_ROLE | securityhub_role | none   |
| AWS_MAX_ATTEMPTS           | s3_attempts    | 8        |
| AWS_RETRY_MODE             | s3_retry_mode  | adaptive |
| TRAILGUARD_MAX_OBJECT_BYTES | max_object_bytes | 256 MiB |
| TRAILGUARD_MAX_RECORD_BYTES | max_record_bytes | 16 MiB  |

Sizes are bytes, or a number with a binary unit: `512K`, `256M`, `256MiB`, `1G` (`parse_size`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal

RetryMode = Literal["adaptive", "standard", "legacy"]


class SettingsError(ValueError):
    """An environment variable holds a value its setting cannot take."""


@dataclass(frozen=True)
class Settings:
    """trailguard's defaults; each field's environment variable is in the module's table."""

    lake: Path = Path("lake")
    source: str | None = None
    destination: str | None = None
    endpoint_url: str | None = None
    # Days of feature windows the anomaly model learns normal behaviour from.
    baseline_days: int = 14
    # A lake's first days, in which false positives are not counted (`trailguard eval`).
    learning_days: int = 7
    # Seconds a writer waits for another process's lock on the lake before giving up.
    lock_timeout: float = 1800.0
    task_runner: str = "thread"
    dask_address: str | None = None
    # Sigma rule folders `trailguard detect` runs (`bundled`: SigmaHQ's CloudTrail rules shipped
    # with trailguard). The variable is a path list (`bundled:/etc/sigma`); `none` turns Sigma off.
    sigma_rules: tuple[str, ...] = ("bundled",)
    # AWS accounts outside the organisation that it trusts (a DR account, a partner's backup
    # account): sharing with them is not exfiltration (`111122223333,444455556666`).
    trusted_accounts: tuple[str, ...] = ()
    # The role `export --to securityhub` assumes in each account whose findings it imports
    # (`arn:aws:iam::{account}:role/NAME`, or a role name); none: the caller's account only.
    securityhub_role: str | None = None
    # S3 requests: attempts and botocore's retry mode (the standard AWS variables).
    s3_attempts: int = 8
    s3_retry_mode: RetryMode = "adaptive"
    # Ingest reads one object's decompressed text and one record's JSON up to these sizes; past
    # them the object is quarantined (CloudTrail's own: tens of MB at most, records < 256 KB).
    max_object_bytes: int = 256 << 20
    max_record_bytes: int = 16 << 20


DEFAULTS = Settings()

_VARIABLES: dict[str, str] = {
    "lake": "TRAILGUARD_LAKE",
    "source": "TRAILGUARD_SOURCE",
    "destination": "TRAILGUARD_DESTINATION",
    "endpoint_url": "AWS_ENDPOINT_URL_S3",
    "baseline_days": "TRAILGUARD_BASELINE_DAYS",
    "learning_days": "TRAILGUARD_LEARNING_DAYS",
    "lock_timeout": "TRAILGUARD_LOCK_TIMEOUT",
    "task_runner": "TRAILGUARD_TASK_RUNNER",
    "dask_address": "TRAILGUARD_DASK_ADDRESS",
    "sigma_rules": "TRAILGUARD_SIGMA_RULES",
    "trusted_accounts": "TRAILGUARD_TRUSTED_ACCOUNTS",
    "securityhub_role": "TRAILGUARD_SECURITYHUB_ROLE",
    "s3_attempts": "AWS_MAX_ATTEMPTS",
    "s3_retry_mode": "AWS_RETRY_MODE",
    "max_object_bytes": "TRAILGUARD_MAX_OBJECT_BYTES",
    "max_record_bytes": "TRAILGUARD_MAX_RECORD_BYTES",
}
_SIZES = frozenset(["max_object_bytes", "max_record_bytes"])
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
_SIZE = re.compile(r"(?P<number>\d+) ?(?P<unit>[KMGT]?)(?:I?B)?")
_CHOICES: dict[str, tuple[str, ...]] = {
    "task_runner": ("thread", "dask"),
    "s3_retry_mode": ("adaptive", "standard", "legacy"),
}


def variable(name: str) -> str:
    """The environment variable of the setting `name` (for help texts and messages)."""
    return _VARIABLES[name]


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from `environ` (default: this process's), each unset or empty variable a default."""
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        text = env.get(_VARIABLES[spec.name], "").strip()
        if text:
            values[spec.name] = _parse(spec.name, text, getattr(DEFAULTS, spec.name))
    return Settings(**values)


def settings() -> Settings:
    """This process's settings, from its environment as it is now (a few lookups: not cached, so
    a variable set by a test or a parent process is always seen)."""
    return load_settings()


def parse_paths(text: str) -> tuple[str, ...]:
    """Folders of a path list (`:` between them, `;` on Windows); `none` or `off`: no folder."""
    if text.strip().lower() in ("none", "off"):
        return ()
    return tuple(part.strip() for part in text.split(os.pathsep) if part.strip())


def parse_accounts(text: str) -> tuple[str, ...]:
    """Twelve-digit account ids separated by commas, spaces or colons."""
    accounts = tuple(a for a in re.split(r"[,\s:;]+", text.strip()) if a)
    if any(not re.fullmatch(r"[0-9]{12}", a) for a in accounts):
        raise ValueError(text)
    return accounts


def _parse(name: str, text: str, default: object) -> object:
    """`text` as the type of the setting's default, checked against its choices."""
    parser: Callable[[str], object] = str
    if name in _SIZES:
        parser = parse_size
    elif name == "trusted_accounts":
        parser = parse_accounts
    elif isinstance(default, Path):
        parser = Path
    elif isinstance(default, tuple):
        parser = parse_paths
    elif isinstance(default, bool | int):
        parser = int
    elif isinstance(default, float):
        parser = float
    try:
        value = parser(text)
    except ValueError:
        raise SettingsError(f"{_VARIABLES[name]}={text!r} is not a valid {name}") from None
    if isinstance(value, int | float) and value <= 0:
        raise SettingsError(f"{_VARIABLES[name]}={text!r}: {name} must be positive")
    if name in _CHOICES and value not in _CHOICES[name]:
        allowed = ", ".join(_CHOICES[name])
        raise SettingsError(f"{_VARIABLES[name]}={text!r}: {name} is one of {allowed}")
    return value


def parse_size(text: str) -> int:
    """Bytes from `text`: a whole number, optionally with a binary unit (`16M`, `256MiB`, `1G`)."""
    match = _SIZE.fullmatch(text.strip().upper())
    if match is None:
        raise ValueError(f"not a size: {text!r} (bytes, or a number with K, M, G or T)")
    size = int(match["number"]) * _UNITS[match["unit"]]
    if size <= 0:
        raise ValueError(f"a size must be more than 0: {text!r} would refuse every object")
    return size
