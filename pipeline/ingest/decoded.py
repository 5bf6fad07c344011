"""What decoding an object gives: its records, and each part that was rejected and why.

Shared by the readers of every shape (`pipeline.ingest.decode` for whole documents,
`pipeline.ingest.salvage` for damaged ones) and by the batch that quarantines the rejections.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

RAW_LIMIT = 1 << 20  # quarantined raw text kept per entry (the object itself stays in S3)
WHOLE_OBJECT = -1  # record_index of a quarantine entry about the whole object
# Bad records one object may have before it is quarantined whole, not record by record: no
# CloudTrail object has one, and a million `{}` would be a million quarantine entries.
MAX_BAD_RECORDS = 1000


@dataclass(frozen=True)
class Rejected:
    """A record (or, with index -1, an object) that cannot be ingested, and why."""

    record_index: int
    reason: str
    raw: str


@dataclass
class Decoded:
    """What an object holds: (position, record) pairs, what was rejected, and if it is a digest.

    Asked for (`decode_object(..., plain=True)`), a plain CloudTrail document comes back as
    `plain` (`PlainRecord`s, in order) with `records` empty; `text` is its decompressed bytes.
    """

    records: list[tuple[int, Any]] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    is_digest: bool = False
    plain: list[Any] | None = None
    text: bytes = b""
    notes: list[str] = field(default_factory=list)  # what was settled about the object, for the log
    size: int = 0  # bytes of decompressed text

    def reject(self, rejected: Rejected) -> None:
        """Reject a record; past `MAX_BAD_RECORDS` of them, the object (`TooManyBad`)."""
        self.rejected.append(rejected)
        if len(self.rejected) > MAX_BAD_RECORDS:
            raise TooManyBad(too_many_bad(self.rejected[0].reason))


class TooManyBad(Exception):
    """Too many bad records: the object is rejected whole (the message says why)."""


def too_many_bad(first: str) -> str:
    """The quarantine reason of an object with more than `MAX_BAD_RECORDS` bad records."""
    return (
        f"more than {MAX_BAD_RECORDS:,} of its records cannot be ingested (the first: {first}):"
        " not a CloudTrail object; quarantined whole, none of its records kept"
    )


def reject_object(reason: str) -> Decoded:
    """What an object rejected whole, unread, decodes to."""
    return Decoded(rejected=[Rejected(WHOLE_OBJECT, reason, "")])


def record_too_large(size: int, limit: int) -> str:
    """The quarantine reason of a record of `size` bytes, past `limit`."""
    return (
        f"record of {size:,} bytes, over the record limit of {limit:,} (TRAILGUARD_MAX_RECORD_BYTES"
        " or --max-record-bytes; CloudTrail's own records stay under 256 KB)"
    )


def raw_text(raw: bytes | str) -> str:
    """Raw content for the quarantine table: bounded, and always valid text."""
    if isinstance(raw, bytes):
        raw = raw[:RAW_LIMIT].decode("utf-8", errors="backslashreplace")
    else:
        raw = (
            raw[:RAW_LIMIT]
            .encode("utf-8", errors="surrogateescape")
            .decode("utf-8", errors="backslashreplace")
        )
    return raw
