"""What an object key says: CloudTrail's delivery layout, digests, and which files hold events."""

from __future__ import annotations

import re
from dataclasses import dataclass

# AWSLogs/[o-org/]<account>/CloudTrail/<region>/YYYY/MM/DD/<file>, after any user prefix.
_LAYOUT = re.compile(
    r"(?:^|/)AWSLogs/(?:(?P<org>o-[a-z0-9]+)/)?(?P<account>\d{12})/CloudTrail/(?P<region>[^/]+)/"
)
EVENT_SUFFIXES = (".json.gz", ".json", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")


@dataclass(frozen=True)
class ObjectRef:
    """One object of a source: where it is, and what identifies this version of it."""

    uri: str  # s3://bucket/key or an absolute local path: the lineage recorded on each row
    key: str  # the key relative to the source root (the state table's key)
    size: int
    version: str  # ETag for S3, size+mtime for local files: a changed object is read again


@dataclass(frozen=True)
class Skipped:
    """Something a listing found and will not read, and why: a file that is not a CloudTrail
    log (`unreadable` False: counted in the summary), or one that cannot be read, such as a
    folder without permission or a FIFO named like a log (True: reported as a failed read)."""

    uri: str
    reason: str
    unreadable: bool = False


@dataclass(frozen=True)
class KeyLayout:
    """The account, region and organisation a CloudTrail key names (None when it names none)."""

    account: str | None
    region: str | None
    org: str | None


def parse_key(key: str) -> KeyLayout:
    """Account, region and org id from a CloudTrail key (a region `us_east_1` -> us-east-1)."""
    match = _LAYOUT.search(key)
    if not match:
        return KeyLayout(None, None, None)
    return KeyLayout(match["account"], match["region"].replace("_", "-"), match["org"])


def is_event_object(key: str) -> bool:
    """True for objects that may hold events; False for digests and unrelated files."""
    if is_digest(key):
        return False
    return key.lower().endswith(EVENT_SUFFIXES)


def is_digest(key: str) -> bool:
    """True for CloudTrail's own files that hold no events of a trail (digests, Insights)."""
    return "CloudTrail-Digest/" in key or "/CloudTrail-Insight/" in key
