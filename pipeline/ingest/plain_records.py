"""The fast path of decoding: a plain CloudTrail document read straight into typed records.

A document as CloudTrail delivers it (`{"Records":[...]}` written compactly, valid UTF-8, records
with only the fields `normalize` names, text where text belongs) is read by msgspec into
`PlainRecord`s: the scalar fields as Python values, the nested objects (userIdentity,
requestParameters, ...) as slices of the document's own JSON text, never turned into Python
dicts and back into JSON (`nested_column`). In such a document that text is what
`field_values.to_json_text` writes but for two things a query hardly sees: a number keeps the form
it was sent in (`1.50`, not `1.5`), and a key repeated within one object (which JSON leaves
undefined) is kept as sent.

A plain record names `eventName`, `eventSource` and `eventTime` (null or not): so no record of
the fast path is smaller than ~50 bytes of text, and its ~260-byte struct costs at most a few
times its text (`{},{},...` would cost ninety). A document whose `Records` key is repeated (msgspec,
like orjson, keeps the last array only) or that holds a record past the record limit is not plain.

Anything else (another shape; whitespace between tokens, as pretty-printed exports have; an
escape standing for a character that needs none, `\u003d` for `=` as older CloudTrail writes,
which `LIKE '%=%'` would not find; an unknown field, a number where text belongs, bad bytes,
nesting past the parser's depth) is `None` here and takes the general path
(`pipeline.ingest.decode`), which reads every shape, writes every value's JSON text anew, and says
what is wrong with a bad record.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from trailguard.pipeline.ingest.limits import DEFAULT_LIMITS
from trailguard.pipeline.ingest.normalize import SCALAR_FIELDS
from trailguard.pipeline.lake.schema import JSON_FIELDS

_ABSENT = msgspec.Raw()  # a nested field the record does not have
# Text and boolean fields, in the order of the Arrow struct `chunks` converts them to.
TEXT_FIELDS = ("eventID", "eventTime", *SCALAR_FIELDS)
FLAG_FIELDS = ("readOnly", "managementEvent")
FLAT_FIELDS = (*TEXT_FIELDS, *FLAG_FIELDS)
NESTED_FIELDS = (*JSON_FIELDS, "userIdentity")
REQUIRED_FIELDS = frozenset(["eventName", "eventSource", "eventTime"])  # as keys; null or not


PlainRecord = msgspec.defstruct(
    "PlainRecord",
    [
        *[
            (name, str | None) if name in REQUIRED_FIELDS else (name, str | None, None)
            for name in TEXT_FIELDS
        ],
        *[(name, bool | None, None) for name in FLAG_FIELDS],
        ("sessionCredentialFromConsole", str | bool | None, None),  # CloudTrail writes "true"
        *[(name, msgspec.Raw, _ABSENT) for name in NESTED_FIELDS],
    ],
    kw_only=True,
    forbid_unknown_fields=True,
    gc=False,  # no cycles: the collector need not track millions of them
)
# The records array of a compact document, `text[len(_COMPACT_START) - 1 : -1]`: text after it
# (another key, a repeated `Records` key, anything but the closing brace) fails its decoding.
_DECODER = msgspec.json.Decoder(list[PlainRecord])  # type: ignore[valid-type]
flat_values = attrgetter(*FLAT_FIELDS)  # a record's text and boolean fields, as one tuple
_COMPACT_START = b'{"Records":['
MAX_ARRAY_TEXT = 2**31 - 1  # bytes of text one Arrow string array holds


def decode_plain(text: bytes, record_bytes: int = DEFAULT_LIMITS.record_bytes) -> list[Any] | None:
    """The `PlainRecord`s of a plain CloudTrail document; None when it is not one (see the module
    docstring), or when one of its records is past `record_bytes`."""
    if not _written_compactly(text):
        return None
    if not text.isascii():
        try:
            text.decode("utf-8")  # the parser checks text fields, not the nested slices
        except UnicodeDecodeError:
            return None
    array = memoryview(text)[len(_COMPACT_START) - 1 : -1]  # `_written_compactly`: `{"Records":[`
    try:
        records: list[Any] = _DECODER.decode(array)
    except (msgspec.MsgspecError, RecursionError):
        return None
    if len(text) > record_bytes and any(map(_larger_than(record_bytes), records)):
        return None
    return records


def _larger_than(limit: int) -> Any:
    """A test of a record's size: its text and nested values, without its keys (a few hundred
    bytes at most, nothing beside a limit in MB)."""
    texts, raws = attrgetter(*TEXT_FIELDS), attrgetter(*NESTED_FIELDS)

    def larger(record: Any) -> bool:
        size = sum(map(_utf8_size, filter(None, texts(record))))
        return size + sum(map(len, raws(record))) > limit

    return larger


def _utf8_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode())


def _written_compactly(text: bytes) -> bool:
    """True when the document is written as CloudTrail writes it: no whitespace between tokens
    and no escape but those JSON requires. A writer spaces its output throughout or nowhere, so
    its start tells (`{"Records": [`, `"eventVersion": "1.08"`); line breaks and tabs cannot be
    raw in text, only between tokens. Byte scans at memchr speed, no parsing."""
    start = len(_COMPACT_START)
    if not text.startswith(_COMPACT_START) or text[start : start + 2] not in (b'{"', b"]}"):
        return False
    if not text.endswith(b"]}"):
        return False
    first_key_end = text.find(b'":', start)
    if text[first_key_end + 2 : first_key_end + 3] == b" ":
        return False
    if b"\n" in text or b"\r" in text or b"\t" in text:
        return False
    return b"\\" not in text or not (b"\\u" in text or b"\\/" in text)


def nested_column(records: list[Any], name: str) -> pa.Array | pa.ChunkedArray:
    """Each record's nested field `name` as JSON text (null where absent or JSON null): the
    value's own slice of its document, gathered into one Arrow array without a Python object
    per value."""
    raws = list(map(attrgetter(name), records))
    lengths = np.fromiter(map(len, raws), np.int64, len(raws))
    offsets = np.zeros(len(raws) + 1, np.int64)
    np.cumsum(lengths, out=offsets[1:])
    texts: pa.Array | pa.ChunkedArray
    if offsets[-1] <= MAX_ARRAY_TEXT:  # valid UTF-8: `decode_plain` checked the document
        data = pa.py_buffer(b"".join(raws))
        offsets32 = pa.py_buffer(offsets.astype(np.int32))
        texts = pa.StringArray.from_buffers(len(raws), offsets32, data)
    else:  # past a string array's 2 GiB (thousands of values near CloudTrail's 256 KB limit)
        texts = pa.array([bytes(raw) for raw in raws], pa.string())  # chunked by Arrow
    absent = pc.or_(pc.equal(pa.array(lengths), 0), pc.equal(texts, "null"))
    return pc.if_else(absent, pa.scalar(None, pa.string()), texts)
