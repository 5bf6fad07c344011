"""Object bytes -> CloudTrail records. Pure functions, no I/O.

Accepts what CloudTrail delivers (`{"Records": [...]}`, gzipped or not) and the export shapes
people have (a bare JSON array, one record per line). A damaged object gives up only what is
damaged: records before a truncation, lines around a bad line, and records without bad bytes are
kept; each damaged part becomes a `Rejected` entry naming the object and record.

Hostile objects are read within `ReadLimits` (`pipeline.ingest.limits`): an object that inflates
past its limit, or whose parse could take more memory than the limit allows, is rejected whole
and unread; a record past the record limit is rejected alone. Two things JSON leaves to its
readers are settled so that nothing vanishes: a repeated top-level `Records` key keeps the
records of every array (orjson and msgspec keep only the last), and a number past a double's
range (`1e999`) keeps its text (orjson refuses it, Python reads infinity, which JSON writers
write as `null`); DuckDB reads such text. `NaN` and `Infinity`, which are not JSON, reject their
record.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from trailguard.pipeline.ingest.limits import (
    DEFAULT_LIMITS,
    ObjectTooLarge,
    ReadLimits,
    inflate,
    is_gzip,
    too_costly,
    too_large,
)
from trailguard.pipeline.ingest.plain_records import decode_plain

RAW_LIMIT = 1 << 20  # quarantined raw text kept per entry (the object itself stays in S3)
WHOLE_OBJECT = -1  # record_index of a quarantine entry about the whole object
# Bad records one object may have before it is quarantined whole, not record by record: no
# CloudTrail object has one, and a million `{}` would be a million quarantine entries.
MAX_BAD_RECORDS = 1000
_RECORDS_KEY = b'"Records"'  # in a document's text: a key (or a value) named so
# Between two top-level `Records` arrays of one document: `], "Records": [`.
_NEXT_RECORDS = re.compile(r'\s*,\s*"Records"\s*:\s*\[')


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
        """Reject a record; past `MAX_BAD_RECORDS` of them, the object (`_TooManyBad`)."""
        self.rejected.append(rejected)
        if len(self.rejected) > MAX_BAD_RECORDS:
            raise _TooManyBad(too_many_bad(self.rejected[0].reason))


class _TooManyBad(Exception):
    """Too many bad records: the object is rejected whole (the message says why)."""


def too_many_bad(first: str) -> str:
    """The quarantine reason of an object with more than `MAX_BAD_RECORDS` bad records."""
    return (
        f"more than {MAX_BAD_RECORDS:,} of its records cannot be ingested (the first: {first}):"
        " not a CloudTrail object; quarantined whole, none of its records kept"
    )


def decode_object(
    data: bytes, *, plain: bool = False, limits: ReadLimits = DEFAULT_LIMITS
) -> Decoded:
    """Records of one object (gzip detected by its magic bytes, not the file name), within
    `limits` (see the module docstring).

    With `plain`, a plain CloudTrail document comes back as `PlainRecord`s in `Decoded.plain`
    (`pipeline.ingest.plain_records`), not parsed into `records`: what ingest reads, much faster.
    """
    out = Decoded()
    try:
        data = _text_of(data, out, limits)
    except ObjectTooLarge as exc:
        return reject_object(str(exc))
    out.size = len(data)
    try:
        _decode_text(data, out, plain, limits)
    except _TooManyBad as exc:
        return reject_object(str(exc))
    return out


def _decode_text(data: bytes, out: Decoded, plain: bool, limits: ReadLimits) -> None:
    """Records of decompressed text, into `out`."""
    if not data.strip():
        if not out.rejected:
            out.rejected.append(Rejected(WHOLE_OBJECT, "empty object", ""))
        return
    if plain and not out.rejected:
        out.plain = decode_plain(data, limits.record_bytes)
        if out.plain is not None:
            out.text = data
            return
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        _decode_damaged(data, out, limits)
        return
    if isinstance(document, dict) and _repeats_records_key(data):
        del document  # parsed again below, not held twice
        document = _every_records_array(data, out)
        if document is None:  # too deep for Python's JSON: read record by record
            _salvage_array(data.decode("utf-8", errors="surrogateescape"), out, limits)
            return
    _take_document(document, out, raw=data, limits=limits)


def reject_object(reason: str) -> Decoded:
    """What an object rejected whole, unread, decodes to."""
    return Decoded(rejected=[Rejected(WHOLE_OBJECT, reason, "")])


def _text_of(data: bytes, out: Decoded, limits: ReadLimits) -> bytes:
    """The object's decompressed text, within `limits` (raises `ObjectTooLarge`); a truncated or
    corrupt gzip stream gives what came before the damage and a rejection in `out`."""
    if is_gzip(data):
        data, problem = inflate(data, limits.object_bytes)
        if problem:
            out.rejected.append(Rejected(WHOLE_OBJECT, problem, ""))
    elif len(data) > limits.object_bytes:
        raise ObjectTooLarge(too_large(limits.object_bytes, "is"))
    problem = too_costly(data)
    if problem:
        raise ObjectTooLarge(problem)
    return data


def _repeats_records_key(data: bytes) -> bool:
    """True when `"Records"` occurs twice in the text (as a key, or a value: then harmless)."""
    first = data.find(_RECORDS_KEY)
    return first >= 0 and data.find(_RECORDS_KEY, first + 1) >= 0


def _every_records_array(data: bytes, out: Decoded) -> Any:
    """The document, read by Python's JSON, its `Records` those of every top-level `Records`
    array (a repeated key: JSON leaves it undefined, and orjson keeps the last array only). None
    when Python's JSON cannot read it (nested deeper than it goes)."""
    top: list[tuple[str, Any]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        nonlocal top
        top = items  # the top-level object is the last one completed
        return dict(items)

    try:
        document = json.loads(
            data, object_pairs_hook=pairs, parse_int=_json_int, parse_float=_json_float
        )
    except RecursionError:
        return None
    arrays = [value for key, value in top if key == "Records" and isinstance(value, list)]
    if len(arrays) < 2:
        return document
    records = [record for array in arrays for record in array]
    out.notes.append(
        f"{len(arrays)} top-level Records arrays (a repeated key): the {len(records):,} records"
        " of all of them are read, in order"
    )
    return {**document, "Records": records}


def _take_document(document: Any, out: Decoded, raw: bytes, limits: ReadLimits) -> None:
    """Records of a parsed JSON document, by its shape."""
    if isinstance(document, list):
        _take_records(document, out, len(raw), limits)
    elif isinstance(document, dict) and isinstance(document.get("Records"), list):
        _take_records(document["Records"], out, len(raw), limits)
    elif isinstance(document, dict) and "digestStartTime" in document:
        out.is_digest = True
    elif isinstance(document, dict) and "eventName" in document:
        out.records.append((0, document))  # a single record, as one-event exports have
    else:
        reason = "not CloudTrail: a JSON document with no Records array and no eventName"
        out.rejected.append(Rejected(WHOLE_OBJECT, reason, _raw_text(raw)))


def _take_records(records: list[Any], out: Decoded, size: int, limits: ReadLimits) -> None:
    """The records of a parsed array; any past the record limit rejected (only a document past
    the limit can hold one: a record's size is measured as orjson writes it)."""
    if size <= limits.record_bytes:
        out.records.extend(enumerate(records))
        return
    for index, record in enumerate(records):
        text = orjson.dumps(record, option=orjson.OPT_NON_STR_KEYS)
        if len(text) > limits.record_bytes:
            reason = record_too_large(len(text), limits.record_bytes)
            out.reject(Rejected(index, reason, _raw_text(text)))
        else:
            out.records.append((index, record))


def _too_large_text(text: str, limit: int) -> str | None:
    """The reason a record's text is past `limit` bytes (counted only when it may be: a
    character is 1 to 4 bytes of UTF-8)."""
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8", errors="surrogateescape"))
    return record_too_large(size, limit) if size > limit else None


def record_too_large(size: int, limit: int) -> str:
    """The quarantine reason of a record of `size` bytes, past `limit`."""
    return (
        f"record of {size:,} bytes, over the record limit of {limit:,} (TRAILGUARD_MAX_RECORD_BYTES"
        " or --max-record-bytes; CloudTrail's own records stay under 256 KB)"
    )


def _decode_damaged(data: bytes, out: Decoded, limits: ReadLimits) -> None:
    """The slow path: one record per line, or a `Records` array salvaged record by record."""
    text = data.decode("utf-8", errors="surrogateescape")
    stripped = text.lstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    if stripped.startswith("{") and len(lines) > 1 and _first_line_parses(lines[0], limits):
        _decode_lines(lines, out, limits)
    else:
        _salvage_array(text, out, limits)


def _first_line_parses(line: str, limits: ReadLimits) -> bool:
    if len(line) > limits.record_bytes:
        return line.rstrip().endswith("}")  # one long record per line, as far as can be told
    try:
        return isinstance(_loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _decode_lines(lines: list[str], out: Decoded, limits: ReadLimits) -> None:
    """NDJSON (including Logstash-style lines): each line one record; bad lines rejected."""
    for index, line in enumerate(lines):
        problem = _too_large_text(line, limits.record_bytes) or _bad_bytes(line)
        if problem:
            out.reject(Rejected(index, problem, _raw_text(line)))
            continue
        try:
            record = _loads(line)
        except (ValueError, RecursionError) as exc:
            reason = f"invalid JSON on line {index + 1}: {exc}"
            out.reject(Rejected(index, reason, _raw_text(line)))
            continue
        problem = _unencodable(record)
        if problem:
            out.reject(Rejected(index, problem, _raw_text(line)))
        else:
            out.records.append((index, record))


def _loads(text: str) -> Any:
    """One JSON value: by orjson, or past its limits by Python's JSON, numbers read alike."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return _DECODER.decode(text)  # `1e999` (orjson refuses it), or truly invalid: raises


def _salvage_array(text: str, out: Decoded, limits: ReadLimits) -> None:
    """Records of a damaged `{"Records": [...]}` or `[...]` up to the first unreadable point
    (and of the `Records` arrays that follow the first, should the key be repeated)."""
    start = _array_start(text)
    if start is None:
        out.rejected.append(Rejected(WHOLE_OBJECT, "invalid JSON: not a CloudTrail document", ""))
        return
    position, index, arrays = start, 0, 1
    while True:
        position = _skip(text, position, ", \t\r\n")
        if position >= len(text):  # cut between two records: what followed is gone unseen
            reason = "truncated: the object ends inside its records array, after a whole record"
            out.rejected.append(Rejected(WHOLE_OBJECT, reason, ""))
            return
        if text[position] == "]":
            following = _NEXT_RECORDS.match(text, position + 1)
            if following is None:
                _check_tail(text, position + 1, out)
                if arrays > 1:
                    out.notes.append(f"{arrays} top-level Records arrays: all of them are read")
                return
            position, arrays = following.end(), arrays + 1
            continue
        try:
            record, end = _DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:  # broken or cut here: nothing after it is readable
            reason = f"invalid JSON at record {index} (char {position}): {exc.args[0]}"
            out.reject(Rejected(index, reason, _raw_text(text[position:])))
            return
        except (ValueError, RecursionError) as exc:  # well-formed, past a parser limit: skip it
            skipped = _value_end(text, position)
            reason = f"record {index} is nested too deep or holds an unreadable number: {exc}"
            raw = _raw_text(text[position : skipped or None])
            out.reject(Rejected(index, reason, raw))
            if skipped is None:
                return
            position, index = skipped, index + 1
            continue
        written = text[position:end]
        problem = (
            _too_large_text(written, limits.record_bytes)
            or _bad_bytes(written)
            or _unencodable(record)
        )
        if problem:
            out.reject(Rejected(index, problem, _raw_text(written)))
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
        json.dumps(record, ensure_ascii=False, default=_fragment).encode("utf-8")
    except (UnicodeEncodeError, RecursionError) as exc:
        return f"unencodable record: {exc}"
    return None


def _fragment(value: object) -> object:
    """A kept number's stand-in, where Python's JSON writes a record only to check it."""
    if isinstance(value, orjson.Fragment):
        return 0
    raise TypeError(f"{type(value).__name__} is not JSON")


def _json_int(text: str) -> int | float | orjson.Fragment:
    """An integer as orjson (the fast path) reads it: past 64 bits, a float; past a float's
    range, its text (`_json_float`)."""
    if len(text) <= 21:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    return _json_float(text)


def _json_float(text: str) -> float | orjson.Fragment:
    """A number as a float; past a float's range (`1e999`), its own text, which orjson writes
    back as it was (Python's float would be infinity, written as `null`)."""
    value = float(text)
    return value if math.isfinite(value) else orjson.Fragment(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# Python's JSON reading numbers as the fast path does, and refusing NaN and Infinity.
_DECODER = json.JSONDecoder(parse_int=_json_int, parse_float=_json_float, parse_constant=_not_json)


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
