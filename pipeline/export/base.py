"""What every exporter shares: the Sink contract, delivery errors, the registry, and redaction.

An exporter module registers an opener for its destination scheme with `@register("hec")`;
`open_sink` imports every module of this package once, so adding an exporter is adding a module,
never editing a central list (pySigma's validators register the same way).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Protocol

from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.urls import REDACTED, redact_url


class DestinationUnavailable(RuntimeError):
    """The destination is down, timed out or answered 5xx: retry later, nothing is lost.

    `retry_after`: the seconds the destination asked to be left alone (HTTP `Retry-After`).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class DestinationRejected(RuntimeError):
    """The destination refused the request (4xx): retrying the same request will not help."""


@dataclass(frozen=True)
class Rejection:
    """One finding the destination refused on its own, while it accepted the rest of the batch."""

    finding_id: str
    revision: int
    reason: str


@dataclass(frozen=True)
class SinkOptions:
    """What an opener may need besides the destination string."""

    timeout: float = 10.0
    endpoint_url: str | None = None  # S3 / Security Hub compatible endpoint (a local server)
    client: Any = None  # a ready boto3 client, as the house style passes clients in
    env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    # Security Hub: the role assumed in each account whose findings are imported
    # (`arn:aws:iam::{account}:role/NAME`, or a role name), None to import the caller's only.
    role: str | None = None


class Sink(Protocol):
    """A configured destination: sends findings, raises the delivery errors above."""

    @property
    def name(self) -> str:
        """The destination with secrets removed: the key of its cursor and what logs show."""
        ...

    @property
    def secrets(self) -> tuple[str, ...]:
        """Values that must never appear in a log, an error or an artifact."""
        ...

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """Deliver a batch; return the findings refused one by one (the rest was accepted)."""
        ...


Opener = Callable[[str, SinkOptions], Sink]
_OPENERS: dict[str, Opener] = {}


def register(*schemes: str) -> Callable[[Opener], Opener]:
    """Decorator: `opener(destination, options)` handles destinations `scheme:...`."""

    def add(opener: Opener) -> Opener:
        for scheme in schemes:
            _OPENERS[scheme] = opener
        return opener

    return add


def aws_client(
    service: str,
    options: SinkOptions,
    region: str | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """A boto3 client for `service` bounded by the export timeout; the passed-in one if given.

    `credentials` (AssumeRole's AccessKeyId, SecretAccessKey, SessionToken) make a client of
    that session instead, never the passed-in one.
    """
    if options.client is not None and credentials is None:
        return options.client
    import boto3
    from botocore.config import Config

    # One botocore attempt: the exporter retries with its own backoff and then leaves the batch
    # for the next run; botocore's retries stacked under those would only delay that.
    config = Config(
        retries={"max_attempts": 1, "mode": "standard"},
        connect_timeout=options.timeout,
        read_timeout=options.timeout,
    )
    keys: dict[str, Any] = {}
    if credentials is not None:
        keys = {
            "aws_access_key_id": credentials["AccessKeyId"],
            "aws_secret_access_key": credentials["SecretAccessKey"],
            "aws_session_token": credentials["SessionToken"],
        }
    session: Any = boto3.session.Session(region_name=region, **keys)  # None: configured region
    return session.client(service, endpoint_url=options.endpoint_url, config=config)


def open_sink(destination: str, options: SinkOptions | None = None) -> Sink:
    """The sink for `destination` (e.g. `hec:https://splunk:8088`, `s3://bucket/prefix`)."""
    _load_exporters()
    scheme = destination.split(":", 1)[0].lower() if ":" in destination else destination.lower()
    opener = _OPENERS.get(scheme)
    if opener is None:
        known = ", ".join(sorted(_OPENERS))
        raise ValueError(f"unknown destination {redact_url(destination)!r}: use one of {known}")
    return opener(destination, options or SinkOptions())


def schemes() -> list[str]:
    """Every registered destination scheme."""
    _load_exporters()
    return sorted(_OPENERS)


@cache
def _load_exporters() -> None:
    package = importlib.import_module("trailguard.pipeline.export")
    for module in pkgutil.iter_modules(package.__path__):
        importlib.import_module(f"trailguard.pipeline.export.{module.name}")


def redact(text: str, secrets: Sequence[str]) -> str:
    """`text` with every secret value and URL credential replaced by ***."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return redact_url(text)
