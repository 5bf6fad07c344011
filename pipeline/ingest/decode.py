"""Object bytes -> CloudTrail records. Pure functions, no I/O.

Accepts what CloudTrail delivers (`{"Records": [...]}`, gzipped or not) and the export shapes
people have (a bare JSON array, one record per line). A damaged object gives up only what is
damaged: records before a truncation, lines around a bad line, and records without bad bytes are
kept; each damaged part becomes a `Rejected` entry naming the object and record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, cast

import orjson
from zlib_ng import zlib_ng  # zlib's API, inflating ~1.5x faster

from trailguard.pipeline.ingest.plain_records import decode_plain

RAW_LIMIT = 1 << 20  # quarantined raw text kept per entry (the object itself stays in S3)
WHOLE_OBJECT = -1  # record_index of a quarantine entry about the whole object
_INFLATE_ERROR = cast(type[Exception], zlib_ng.error)  # its stub calls it an instance


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


def decode_object(data: bytes, *, plain: bool = False) -> Decoded:
    """Records of one object (gzip detected by its magic bytes, not the file name).

    With `plain`, a plain CloudTrail document comes back as `PlainRecord`s in `Decoded.plain`
    (`pipeline.ingest.plain_records`), not parsed into `records`: what ingest reads, much faster.
    """
    out = Decoded()
    if data[:2] == b"\x1f\x8b":
        data, problem = _gunzip(data)
        if problem:
            out.rejected.append(Rejected(WHOLE_OBJECT, problem, ""))
    if not data.strip():
        if not out.rejected:
            out.rejected.append(Rejected(WHOLE_OBJECT, "empty object", ""))
        return out
    if plain and not out.rejected:
        out.plain = decode_plain(data)
        if out.plain is not None:
            out.text = data
            return out
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        _decode_damaged(data, out)
        return out
    _take_document(document, out, raw=data)
    return out


def _gunzip(data: bytes) -> tuple[bytes, str | None]:
    """Decompressed bytes, and a problem when the stream is truncated or corrupt."""
    inflater = zlib_ng.decompressobj(wbits=47)  # gzip or zlib header, auto-detected
    chunks: list[bytes] = []
    try:
        chunks.append(inflater.decompress(data))
        while inflater.unused_data.startswith(b"\x1f\x8b"):  # concatenated gzip members
            rest = inflater.unused_data
            inflater = zlib_ng.decompressobj(wbits=47)
            chunks.append(inflater.decompress(rest))
    except _INFLATE_ERROR as exc:
        return b"".join(chunks), f"corrupt gzip stream: {exc}"
    if not inflater.eof:
        return b"".join(chunks), "truncated gzip stream (object ends before the gzip trailer)"
    return b"".join(chunks), None


def _take_document(document: Any, out: Decoded, raw: bytes) -> None:
    """Records of a parsed JSON document, by its shape."""
    if isinstance(document, list):
        out.records.extend(enumerate(document))
    elif isinstance(document, dict) and isinstance(document.get("Records"), list):
        out.records.extend(enumerate(document["Records"]))
    elif isinstance(document, dict) and "digestStartTime" in document:
        out.is_digest = True
    elif isinstance(document, dict) and "eventName" in document:
        out.records.append((0, document))  # a single record, as one-event exports have
    else:
        reason = "not CloudTrail: a JSON document with no Records array and no eventName"
        out.rejected.append(Rejected(WHOLE_OBJECT, reason, _raw_text(raw)))


def _decode_damaged(data: bytes, out: Decoded) -> None:
    """The slow path: one record per line, or a `Records` array salvaged record by record."""
    text = data.decode("utf-8", errors="surrogateescape")
    stripped = text.lstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    if stripped.startswith("{") and len(lines) > 1 and _first_line_parses(lines[0]):
        _decode_lines(lines, out)
    else:
        _salvage_array(text, out)


def _first_line_parses(line: str) -> bool:
    try:
        return isinstance(orjson.loads(line), dict)
    except orjson.JSONDecodeError:
        return False


def _decode_lines(lines: list[str], out: Decoded) -> None:
    """NDJSON (including Logstash-style lines): each line one record; bad lines rejected."""
    for index, line in enumerate(lines):
        problem = _bad_bytes(line)
        if problem:
            out.rejected.append(Rejected(index, problem, _raw_text(line)))
            continue
        try:
            out.records.append((index, orjson.loads(line)))
        except orjson.JSONDecodeError as exc:
            out.rejected.append(Rejected(index, f"invalid JSON on line {index + 1}: {exc}", line))


def _salvage_array(text: str, out: Decoded) -> None:
    """Records of a damaged `{"Records": [...]}` or `[...]` up to the first unreadable point."""
    start = _array_start(text)
    if start is None:
        out.rejected.append(Rejected(WHOLE_OBJECT, "invalid JSON: not a CloudTrail document", ""))
        return
    decoder = json.JSONDecoder(parse_int=_json_int)  # same numbers as the fast path
    position, index = start, 0
    while True:
        position = _skip(text, position, ", \t\r\n")
        if position >= len(text):  # cut between two records: what followed is gone unseen
            reason = "truncated: the object ends inside its records array, after a whole record"
            out.rejected.append(Rejected(WHOLE_OBJECT, reason, ""))
            return
        if text[position] == "]":
            _check_tail(text, position + 1, out)
            return
        try:
            record, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError as exc:  # broken or cut here: nothing after it is readable
            reason = f"invalid JSON at record {index} (char {position}): {exc.args[0]}"
            out.rejected.append(Rejected(index, reason, _raw_text(text[position:])))
            return
        except (ValueError, RecursionError) as exc:  # well-formed, past a parser limit: skip it
            skipped = _value_end(text, position)
            reason = f"record {index} is nested too deep or holds a number too long: {exc.args[0]}"
            raw = _raw_text(text[position : skipped or None])
            out.rejected.append(Rejected(index, reason, raw))
            if skipped is None:
                return
            position, index = skipped, index + 1
            continue
        problem = _bad_bytes(text[position:end]) or _unencodable(record)
        if problem:
            out.rejected.append(Rejected(index, problem, _raw_text(text[position:end])))
        else:
            out.records.append((index, record))
        position, index = end, index + 1


def _check_tail(text: str, position: int, out: Decoded) -> None:
    """Reject the object when text other than its closing brace follows the records array."""
    tail = text[position:].strip()
    if text.lstrip().startswith("{"):  # `{"Records": [...]}`
        if not tail.startswith("}"):
            reason = "truncated: the object ends after its records array, without its closing brace"
            out.rejected.append(Rejected(WHOLE_OBJECT, reason, _raw_text(tail[:1000])))
            return
        tail = tail[1:].strip()
    if tail:
        reason = "invalid JSON after the records array (every record in it was read)"
        out.rejected.append(Rejected(WHOLE_OBJECT, reason, _raw_text(tail[:1000])))


def _value_end(text: str, position: int) -> int | None:
    """Index just past the JSON value at `position` (brackets counted, strings skipped)."""
    depth, in_string, escaped = 0, False, False
    for index in range(position, len(text)):
        char = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
        elif char in "]}" or (char == "," and depth == 0):
            if depth <= 1:
                return index + 1 if depth == 1 else index
            depth -= 1
    return None


def _unencodable(record: Any) -> str | None:
    """Why a parsed record cannot be stored as UTF-8 text (a lone surrogate escape, `\\ud800`)."""
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError) as exc:
        return f"unencodable record: {exc}"
    return None


def _json_int(text: str) -> int | float:
    """An integer as orjson (the fast path) reads it: past 64 bits, a float, never an error."""
    if len(text) <= 21:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    return float(text)


def _array_start(text: str) -> int | None:
    """Index just inside the records array, or None when the text is not such a document."""
    stripped = text.lstrip()
    offset = len(text) - len(stripped)
    if stripped.startswith("["):
        return offset + 1
    marker = text.find('"Records"')
    if not stripped.startswith("{") or marker < 0:
        return None
    bracket = text.find("[", marker)
    return bracket + 1 if bracket >= 0 else None


def _skip(text: str, position: int, chars: str) -> int:
    while position < len(text) and text[position] in chars:
        position += 1
    return position


def _bad_bytes(text: str) -> str | None:
    """A reason when the text holds bytes that were not UTF-8 (decoded as lone surrogates)."""
    for offset, char in enumerate(text):
        if "\udc80" <= char <= "\udcff":
            return f"non-UTF-8 byte 0x{ord(char) - 0xDC00:02x} at offset {offset} of the record"
    return None


def _raw_text(raw: bytes | str) -> str:
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
