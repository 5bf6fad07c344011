"""URLs as trailguard meets them: an S3 URI split into bucket and prefix, and credentials redacted.

Shared by ingest (sources), export (destinations) and every message that may print a URL: an
endpoint or destination can carry `user:password@` or a `?token=` that must never reach a log.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

REDACTED = "***"
_USERINFO = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]*@", re.IGNORECASE)
_SECRET_QUERY = re.compile(
    r"(?P<key>[?&][^=&#\s]*?(?:token|key|secret|passw|sig|auth|credential)[^=&]*=)[^&#\s]*",
    re.IGNORECASE,
)


def redact_url(text: str) -> str:
    """`text` with URL credentials (user:password@, ?token=...) replaced by ***."""
    text = _USERINFO.sub(lambda m: f"{m['scheme']}{REDACTED}@", text)
    return _SECRET_QUERY.sub(lambda m: f"{m['key']}{REDACTED}", text)


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


def object_uri(source: str, key: str) -> str:
    """The URI an object's events carry as `source_key`, from the source and key its state was
    recorded under: `s3://bucket/prefix/` + key, or the local path (a folder's file, or the
    single file a `file://` source names)."""
    if not source.startswith("file://"):
        return source + key
    root = Path(unquote(urlsplit(source).path))  # `Path.as_uri` quoted it
    if root.name == key and not root.is_dir():  # a single export file: its key is its name
        return str(root)
    return str(root / key)


def source_location(name: str) -> str:
    """What `trailguard ingest --source` takes for a source as its state records it: the local
    path of a `file://` name, else the name itself (`s3://bucket/prefix/`)."""
    return unquote(urlsplit(name).path) if name.startswith("file://") else name
