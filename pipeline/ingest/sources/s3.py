"""CloudTrail objects in S3 (or an S3-compatible store): list + read, nothing else."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError, IncompleteReadError

from trailguard.pipeline.config import settings
from trailguard.pipeline.ingest.limits import ObjectTooLarge, too_large
from trailguard.pipeline.ingest.sources.layout import (
    ObjectRef,
    Skipped,
    is_digest,
    is_event_object,
)
from trailguard.pipeline.retry import Backoff, retrying
from trailguard.pipeline.urls import split_s3_uri


def _config() -> Config:
    """Retries and pool: adaptive retries (the settings' default) back off on throttling (503
    SlowDown) and resets; the pool is sized for many concurrent GETs of small objects, since GET
    latency, not bandwidth, is the bottleneck. AWS_MAX_ATTEMPTS / AWS_RETRY_MODE still win."""
    config = settings()
    return Config(
        retries={"max_attempts": config.s3_attempts, "mode": config.s3_retry_mode},
        max_pool_connections=64,
        connect_timeout=10,
        read_timeout=60,
    )


# A GET whose body breaks off (reset, read timeout, fewer bytes than Content-Length) after the
# headers arrived is outside botocore's retries: read_object fetches it again this many times,
# after a wait drawn from 0 to 0.2 s, 0.4 s, 0.8 s ("full jitter").
BODY_ATTEMPTS = 4
_BODY_ERRORS = (HTTPClientError, IncompleteReadError, OSError)
log = logging.getLogger(__name__)


def s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client on the standard credential chain; `AWS_ENDPOINT_URL` is honoured."""
    import boto3  # here, not at the top: a run over a local folder never needs it (0.1 s)

    endpoint = endpoint_url or settings().endpoint_url
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=_config())


class S3Source:
    """Objects under `s3://bucket/prefix`, listed with pagination; a GET asks for at most
    `max_bytes + 1` bytes (an object that grew past the limit after it was listed is not read
    whole: `ObjectTooLarge`, quarantined as one listed too large is)."""

    def __init__(self, uri: str, client: Any, max_bytes: int | None = None) -> None:
        self.bucket, self.prefix = split_s3_uri(uri)
        self.client = client
        self.max_bytes = max_bytes

    @property
    def remote(self) -> bool:
        """S3 GETs: fetched concurrently, since latency dominates."""
        return True

    @property
    def name(self) -> str:
        """The source's identity in the state table."""
        return f"s3://{self.bucket}/{self.prefix}"

    def list_objects(self) -> Iterator[ObjectRef | Skipped]:
        """Every event-bearing object under the prefix, in key order, and each other object
        (not a digest, not a folder marker) as `Skipped`, to be counted as the local source's."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not is_event_object(key):
                    if not (is_digest(key) or key.endswith("/")):
                        uri = f"s3://{self.bucket}/{item['Key']}"
                        yield Skipped(uri, "not a CloudTrail log, by its name")
                    continue
                yield ObjectRef(
                    uri=f"s3://{self.bucket}/{item['Key']}",
                    key=key,
                    size=int(item.get("Size", 0)),
                    version=str(item.get("ETag", "")).strip('"'),
                )

    def read_object(self, ref: ObjectRef) -> bytes:
        """The object's bytes; a body cut short is fetched again, never taken as the object."""
        policy = retrying(
            transient=_BodyCut,
            attempts=BODY_ATTEMPTS,
            backoff=Backoff(first=0.2, cap=2.0, jitter=(0.0, 1.0)),
            on_retry=lambda retry: log.warning(
                "%s: body read failed (%s); fetching it again", ref.uri, retry.error
            ),
        )
        try:
            return policy(self._fetch, ref)
        except _BodyCut as cut:
            error = cut.__cause__
            raise OSError(f"{ref.uri}: body read failed {BODY_ATTEMPTS} times: {error}") from error

    def _fetch(self, ref: ObjectRef) -> bytes:
        """One GET of the object (its first `max_bytes + 1` bytes) and the read of its body."""
        key = self.prefix + ref.key
        if self.max_bytes is None:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
        else:
            try:
                response = self.client.get_object(
                    Bucket=self.bucket, Key=key, Range=f"bytes=0-{self.max_bytes}"
                )
            except ClientError as exc:
                if _error_code(exc) == "InvalidRange":  # S3's answer for a range of 0 bytes
                    return b""
                raise
            if _range_total(response) > self.max_bytes:
                response["Body"].close()  # the body is not read: the object is over the limit
                raise ObjectTooLarge(too_large(self.max_bytes, "is"))
        try:
            body = _read_body(response, ref.uri, self.max_bytes)
        except _BODY_ERRORS as exc:  # botocore retries requests, never the body's read
            raise _BodyCut(exc) from exc
        if self.max_bytes is not None and len(body) > self.max_bytes:  # a server past its word
            raise ObjectTooLarge(too_large(self.max_bytes, "is"))
        return body


class _BodyCut(Exception):
    """A GET whose body broke off or came short (its cause says how); a failed request is not."""


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _range_total(response: dict[str, Any]) -> int:
    """The object's whole size from a ranged GET's `Content-Range: bytes 0-N/TOTAL` (a server
    that ignored the range and sent it all: its `Content-Length`)."""
    content_range = str(response.get("ContentRange") or "")
    total = content_range.rpartition("/")[2]
    if total.isdigit():
        return int(total)
    return int(response.get("ContentLength") or 0)


def _read_body(response: dict[str, Any], uri: str, max_bytes: int | None) -> bytes:
    """The body; no more than `max_bytes + 1` bytes of it, whatever the server sends."""
    body: bytes = response["Body"].read(None if max_bytes is None else max_bytes + 1)
    expected = response.get("ContentLength")
    if expected is not None and len(body) != int(expected):
        raise OSError(f"short read of {uri}: {len(body)} of {expected} bytes")
    return body
