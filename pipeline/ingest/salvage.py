"""Reading a damaged object: what can still be read of it, each damaged part rejected alone.

The slow path of `pipeline.ingest.decode`, taken when a document does not parse whole: one
record per line (NDJSON, Logstash-style lines), each bad line rejected; or a `{"Records": [...]}`
or `[...]` document read record by record up to the first unreadable point (a truncation), with
records that hold bad bytes, are past the record limit or past a parser's limits rejected alone.
"""

from __future__ import annotations

import json
import re

from trailguard.pipeline.ingest.decoded import (
    WHOLE_OBJECT,
    Decoded,
    Rejected,
    raw_text,
    record_too_large,
)
from trailguard.pipeline.ingest.json_fallback import DECODER, loads, unencodable
from trailguard.pipeline.ingest.limits import ReadLimits

# Between two top-level `Records` arrays of one document: `], "Records": [`.
_NEXT_RECORDS = re.compile(r'\s*,\s*"Records"\s*:\s*\[')


def decode_damaged(data: bytes, out: Decoded, limits: ReadLimits) -> None:
    """The slow path: one record per line, or a `Records` array salvaged record by record."""
    text = data.decode("utf-8", errors="surrogateescape")
    stripped = text.lstrip()
    lines = [line for line in text.splitlines() if line.strip()]
    if stripped.startswith("{") and len(lines) > 1 and _first_line_parses(lines[0], limits):
        _decode_lines(lines, out, limits)
    else:
        salvage_array(text, out, limits)


def _first_line_parses(line: str, limits: ReadLimits) -> bool:
    if len(line) > limits.record_bytes:
        return line.rstrip().endswith("}")  # one long record per line, as far as can be told
    try:
        return isinstance(loads(line), dict)
    except (ValueError, RecursionError):
        return False


def _decode_lines(lines: list[str], out: Decoded, limits: ReadLimits) -> None:
    """NDJSON (including Logstash-style lines): each line one record; bad lines rejected."""
    for index, line in enumerate(lines):
        problem = _too_large_text(line, limits.record_bytes) or _bad_bytes(line)
        if problem:
            out.reject(Rejected(index, problem, raw_text(line)))
            continue
        try:
            record = loads(line)
        except (ValueError, RecursionError) as exc:
            reason = f"invalid JSON on line {index + 1}: {exc}"
            out.reject(Rejected(index, reason, raw_text(line)))
            continue
        problem = unencodable(record)
        if problem:
            out.reject(Rejected(index, problem, raw_text(line)))
        else:
            out.records.append((index, record))


def salvage_array(text: str, out: Decoded, limits: ReadLimits) -> None:
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
            record, end = DECODER.raw_decode(text, position)
        except json.JSONDecodeError as exc:  # broken or cut here: nothing after it is readable
            reason = f"invalid JSON at record {index} (char {position}): {exc.args[0]}"
            out.reject(Rejected(index, reason, raw_text(text[position:])))
            return
        except (ValueError, RecursionError) as exc:  # well-formed, past a parser limit: skip it
            skipped = _value_end(text, position)
            reason = f"record {index} is nested too deep or holds an unreadable number: {exc}"
            raw = raw_text(text[position : skipped or None])
            out.reject(Rejected(index, reason, raw))
            if skipped is None:
                return
            position, index = skipped, index + 1
            continue
        written = text[position:end]
        problem = (
            _too_large_text(written, limits.record_bytes)
            or _bad_bytes(written)
            or unencodable(record)
        )
        if problem:
            out.reject(Rejected(index, problem, raw_text(written)))
        else:
            out.records.append((index, record))
        position, index = end, index + 1


def _check_tail(text: str, position: int, out: Decoded) -> None:
    """Reject the object when text other than its closing brace follows the records array."""
    tail = text[position:].strip()
    if text.lstrip().startswith("{"):  # `{"Records": [...]}`
        if not tail.startswith("}"):
            reason = "truncated: the object ends after its records array, without its closing brace"
            out.rejected.append(Rejected(WHOLE_OBJECT, reason, raw_text(tail[:1000])))
            return
        tail = tail[1:].strip()
    if tail:
        reason = "invalid JSON after the records array (every record in it was read)"
        out.rejected.append(Rejected(WHOLE_OBJECT, reason, raw_text(tail[:1000])))


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


def _too_large_text(text: str, limit: int) -> str | None:
    """The reason a record's text is past `limit` bytes (counted only when it may be: a
    character is 1 to 4 bytes of UTF-8)."""
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8", errors="surrogateescape"))
    return record_too_large(size, limit) if size > limit else None


def _bad_bytes(text: str) -> str | None:
    """A reason when the text holds bytes that were not UTF-8 (decoded as lone surrogates)."""
    for offset, char in enumerate(text):
        if "\udc80" <= char <= "\udcff":
            return f"non-UTF-8 byte 0x{ord(char) - 0xDC00:02x} at offset {offset} of the record"
    return None
