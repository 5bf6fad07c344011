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

What a decode gives is `pipeline.ingest.decoded`; a document that does not parse whole is read
by `pipeline.ingest.salvage`; Python's JSON, where orjson cannot go, by
`pipeline.ingest.json_fallback`.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from trailguard.pipeline.ingest.decoded import (
    WHOLE_OBJECT,
    Decoded,
    Rejected,
    TooManyBad,
    raw_text,
    record_too_large,
    reject_object,
)
from trailguard.pipeline.ingest.json_fallback import json_float, json_int
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
from trailguard.pipeline.ingest.salvage import decode_damaged, salvage_array

_RECORDS_KEY = b'"Records"'  # in a document's text: a key (or a value) named so


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
    except TooManyBad as exc:
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
        decode_damaged(data, out, limits)
        return
    if isinstance(document, dict) and _repeats_records_key(data):
        del document  # parsed again below, not held twice
        document = _every_records_array(data, out)
        if document is None:  # too deep for Python's JSON: read record by record
            salvage_array(data.decode("utf-8", errors="surrogateescape"), out, limits)
            return
    _take_document(document, out, raw=data, limits=limits)


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
            data, object_pairs_hook=pairs, parse_int=json_int, parse_float=json_float
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
        out.rejected.append(Rejected(WHOLE_OBJECT, reason, raw_text(raw)))


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
            out.reject(Rejected(index, reason, raw_text(text)))
        else:
            out.records.append((index, record))
