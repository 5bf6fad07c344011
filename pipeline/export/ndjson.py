"""NDJSON files of OCSF findings, in a local folder or an S3 prefix, for anything that tails one.

Layout: `<root>/dt=YYYY-MM-DD/trailguard-findings-r<first>-r<last>.ndjson`, one OCSF Detection
Finding per line, partitioned by the UTC date of the export. The name carries the revision range
of its batch, so a batch written again after a crash overwrites the same object instead of
adding a duplicate one. Local files are written to a temporary name and renamed, so a reader
never sees half a file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import orjson
from botocore.exceptions import BotoCoreError, ClientError

from trailguard.pipeline.export import ocsf
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    SinkOptions,
    aws_client,
    register,
)
from trailguard.pipeline.findings.store import Finding


def to_payload(finding: Finding) -> bytes:
    """One NDJSON line: the finding's OCSF payload, newline-terminated."""
    return orjson.dumps(ocsf.to_payload(finding), option=orjson.OPT_SORT_KEYS) + b"\n"


def object_key(findings: Sequence[Finding], day: datetime) -> str:
    """`dt=YYYY-MM-DD/trailguard-findings-r<first>-r<last>.ndjson` of a batch."""
    first, last = findings[0].revision, findings[-1].revision
    return f"dt={day:%Y-%m-%d}/trailguard-findings-r{first:012d}-r{last:012d}.ndjson"


def write_local(root: Path, key: str, body: bytes) -> Path:
    """Write `body` to `root/key` atomically; return the file's path."""
    path = root / key
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_temporaries(root)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ndjson")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@cache
def _remove_temporaries(root: Path) -> None:
    """Delete temporaries a killed run left behind (once per process and destination).

    Only one export runs per destination at a time (the export lock), so any `.tmp-*.ndjson`
    found before this run wrote anything belongs to a run that died between write and rename;
    its batch was not counted as delivered and is written again under its final name.
    """
    for stale in root.glob("**/.tmp-*.ndjson"):
        stale.unlink(missing_ok=True)


def write_s3(client: Any, bucket: str, key: str, body: bytes) -> None:
    """Put `body` at s3://bucket/key; throttling and 5xx are DestinationUnavailable."""
    try:
        client.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/x-ndjson")
    except ClientError as exc:
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        code = exc.response.get("Error", {}).get("Code", "")
        message = f"s3://{bucket}/{key}: {code} (HTTP {status})"
        if status >= 500 or status in (408, 429) or code in ("SlowDown", "Throttling"):
            raise DestinationUnavailable(message) from None
        raise DestinationRejected(message) from None
    except BotoCoreError as exc:  # connection refused, timeouts, endpoint unreachable
        raise DestinationUnavailable(f"s3://{bucket}/{key}: {type(exc).__name__}") from None


class NdjsonSink:
    """NDJSON batches to a local folder (`ndjson:PATH`) or S3 (`s3://bucket/prefix`)."""

    def __init__(self, destination: str, options: SinkOptions) -> None:
        self.destination = destination
        self.options = options
        self._client = options.client
        if destination.startswith("s3://"):
            from trailguard.pipeline.urls import split_s3_uri

            self.bucket, self.prefix = split_s3_uri(destination)
            self.name = f"s3://{self.bucket}/{self.prefix}"
        else:
            path = destination.split(":", 1)[1] if destination.startswith("ndjson:") else ""
            if not path:
                raise ValueError("ndjson destination needs a folder: ndjson:PATH")
            self.root = Path(path).expanduser()
            self.name = f"ndjson:{self.root.resolve()}"
        self.secrets: tuple[str, ...] = ()

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """Write the batch as one NDJSON object named by its revision range."""
        body = b"".join(to_payload(f) for f in findings)
        key = object_key(findings, datetime.now(UTC))
        if self.destination.startswith("s3://"):
            self._client = self._client or aws_client("s3", self.options)
            write_s3(self._client, self.bucket, self.prefix + key, body)
            return []
        try:
            write_local(self.root, key, body)
        except OSError as exc:  # a full or unmounted disk may come back: retry, lose nothing
            raise DestinationUnavailable(f"{self.name}: {exc.strerror or exc}") from None
        return []


@register("ndjson", "s3")
def open_ndjson(destination: str, options: SinkOptions) -> NdjsonSink:
    """The sink of `ndjson:PATH` and `s3://bucket/prefix`."""
    return NdjsonSink(destination, options)
