"""Opening a source by its name: `s3://bucket/prefix` (`sources.s3`), else a local folder or
file (`sources.local`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from trailguard.pipeline.ingest.sources.local import LocalSource

if TYPE_CHECKING:
    from trailguard.pipeline.ingest.batch import Source


def open_source(
    source: str, endpoint_url: str | None = None, *, max_bytes: int | None = None
) -> Source:
    """A source for `s3://bucket/prefix` or a local folder (or a single export file); an object
    that grew past `max_bytes` since it was listed is not read whole (`ObjectTooLarge`)."""
    if source.startswith("s3://"):
        from trailguard.pipeline.ingest.sources.s3 import (  # boto3: only for S3 (0.1 s)
            S3Source,
            s3_client,
        )

        return S3Source(source, s3_client(endpoint_url), max_bytes)
    return LocalSource(source, max_bytes)
