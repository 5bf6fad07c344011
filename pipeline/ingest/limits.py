"""How much one object may cost to read: the limits, and inflating within them. Pure, no I/O.

CloudTrail's own objects hold at most tens of MB of JSON (most a few KB) and its records stay
under 256 KB. A bucket or an export can hold anything: a 10 MB gzip that inflates to 10 GiB, one
JSON string of 1.5 GiB, millions of `{}`. Each object is read within `ReadLimits`: its
decompressed text, each record's text, and the memory parsing the text may take. An object past
a limit is quarantined whole with the reason (and marked read, so that reruns pass it by until it
changes); inflating stops at the limit, so a bomb costs what the limit allows and no more.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from zlib_ng import zlib_ng  # zlib's API, inflating ~1.5x faster

from trailguard.pipeline.config import DEFAULTS, Settings

_INFLATE_ERROR = cast(type[Exception], zlib_ng.error)  # its stub calls it an instance
_GZIP_OR_ZLIB = 47  # wbits: a gzip or zlib header, auto-detected
_GZIP_MAGIC = b"\x1f\x8b"
# What one parsed JSON value may cost in Python, at most (a dict is 64 bytes and its slot 8; a
# record of the typed fast path ~260 bytes for at least four values), and how many times its
# text parsing an object may cost in this measure. CloudTrail's records hold a value per ~30-35
# bytes of text (~4 times their text, counted so); `{},{},...` one per 1.5 bytes (~65 times).
VALUE_COST = 96
MAX_DENSITY = 8
# Below this many bytes of text no parse is costly enough to be worth counting its values.
COUNT_VALUES_ABOVE = 4 << 20


@dataclass(frozen=True)
class ReadLimits:
    """Bytes one object may take: its decompressed text, and one record's JSON text."""

    object_bytes: int
    record_bytes: int

    @classmethod
    def of(cls, settings: Settings) -> ReadLimits:
        """The limits `settings` name (TRAILGUARD_MAX_OBJECT_BYTES, TRAILGUARD_MAX_RECORD_BYTES)."""
        return cls(settings.max_object_bytes, settings.max_record_bytes)


DEFAULT_LIMITS = ReadLimits.of(DEFAULTS)


class ObjectTooLarge(Exception):
    """An object past a limit; the message is its quarantine reason."""


def is_gzip(data: bytes) -> bool:
    """True for gzip bytes (by their magic number, not the file's name)."""
    return data[:2] == _GZIP_MAGIC


def inflate(data: bytes, limit: int) -> tuple[bytes, str | None]:
    """The decompressed bytes of a gzip (or zlib) stream, and a problem when it is truncated or
    corrupt. Raises `ObjectTooLarge` as soon as it would give more than `limit` bytes: no more
    than `limit + 1` are ever inflated (~twice that in memory, while the last block is joined)."""
    members: list[bytes] = []
    size, rest = 0, data
    while True:  # concatenated gzip members, as `cat a.gz b.gz` makes
        inflater = zlib_ng.decompressobj(wbits=_GZIP_OR_ZLIB)
        try:
            members.append(inflater.decompress(rest, limit + 1 - size))
        except _INFLATE_ERROR as exc:
            return b"".join(members), f"corrupt gzip stream: {exc}"
        size += len(members[-1])
        if size > limit:
            raise ObjectTooLarge(too_large(limit, "decompresses to"))
        if not inflater.eof:
            reason = "truncated gzip stream (object ends before the gzip trailer)"
            return b"".join(members), reason
        rest = inflater.unused_data
        if not rest.startswith(_GZIP_MAGIC):
            return members[0] if len(members) == 1 else b"".join(members), None


def too_large(limit: int, what: str) -> str:
    """The quarantine reason of an object past `limit` (`what`: "is", "decompresses to")."""
    return (
        f"object {what} more than {limit:,} bytes, the limit (TRAILGUARD_MAX_OBJECT_BYTES or"
        " --max-object-bytes): not read; CloudTrail's own objects are at most tens of MB"
    )


def too_costly(text: bytes) -> str | None:
    """The quarantine reason of text whose parse could cost more than `MAX_DENSITY` times the
    text: its JSON values (at most its commas and brackets, plus one) at `VALUE_COST` each, and
    a copy of the text. Counted only for text large enough for it to matter (a pass over it per
    character counted); within the object limit, parsing then costs at most 8 times the limit."""
    if len(text) <= COUNT_VALUES_ABOVE:
        return None
    values = text.count(b",") + text.count(b"{") + text.count(b"[") + 1
    cost = values * VALUE_COST + len(text)
    if cost <= MAX_DENSITY * len(text):
        return None
    return (
        f"object packs {values:,} JSON values into {len(text):,} bytes (one per"
        f" {len(text) / values:.1f} bytes; CloudTrail writes one per ~30): parsing it could take"
        f" {cost >> 20:,} MiB, more than {MAX_DENSITY} times its size: not read"
    )
