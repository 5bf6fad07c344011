"""CloudTrail objects in S3 (or an S3-compatible store): list + read, nothing else."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config

from pipeline.sources.layout import ObjectRef, is_event_object

# Adaptive retries back off on throttling (503 SlowDown) and resets; a pool sized for many
# concurrent GETs of small objects, since GET latency, not bandwidth, is the bottleneck.
_CONFIG = Config(
    retries={"max_attempts": 8, "mode": "adaptive"},
    max_pool_connections=64,
    connect_timeout=10,
    read_timeout=60,
)


def s3_client(endpoint_url: str | None = None) -> Any:
    """A boto3 S3 client on the standard credential chain; `AWS_ENDPOINT_URL` is honoured."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_S3") or None
    return boto3.session.Session().client("s3", endpoint_url=endpoint, config=_CONFIG)


def split_s3_uri(uri: str) -> tuple[str, str]:
    """('bucket', 'prefix/') of `s3://bucket/prefix`; the prefix may be empty."""
    if not uri.startswith("s3://"):
        raise ValueError(f"not an s3:// URI: {uri}")
    bucket, _, prefix = uri[5:].partition("/")
    if not bucket:
        raise ValueError(f"no bucket in {uri}")
    if prefix and not prefix.endswith("/"):
        prefix += "/"
    return bucket, prefix


class S3Source:
    """Objects under `s3://bucket/prefix`, listed with pagination."""

    def __init__(self, uri: str, client: Any) -> None:
        self.bucket, self.prefix = split_s3_uri(uri)
        self.client = client

    @property
    def name(self) -> str:
        """The source's identity in the state table."""
        return f"s3://{self.bucket}/{self.prefix}"

    def list_objects(self) -> Iterator[ObjectRef]:
        """Every event-bearing object under the prefix, in key order."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"][len(self.prefix) :]
                if not is_event_object(key):
                    continue
                yield ObjectRef(
                    uri=f"s3://{self.bucket}/{item['Key']}",
                    key=key,
                    size=int(item.get("Size", 0)),
                    version=str(item.get("ETag", "")).strip('"'),
                )

    def read_object(self, ref: ObjectRef) -> bytes:
        """The object's bytes; a short read is an error, not a truncated object."""
        response = self.client.get_object(Bucket=self.bucket, Key=self.prefix + ref.key)
        body: bytes = response["Body"].read()
        expected = response.get("ContentLength")
        if expected is not None and len(body) != int(expected):
            raise OSError(f"short read of {ref.uri}: {len(body)} of {expected} bytes")
        return body
