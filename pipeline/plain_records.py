"""The fast path of decoding: a plain CloudTrail document read straight into typed records.

A document as CloudTrail delivers it (`{"Records": [...]}`, valid UTF-8, records with only the
fields `normalize` names, text where text belongs) is read by msgspec into `PlainRecord`s: the
scalar fields as Python values, the nested objects (userIdentity, requestParameters, ...) as
slices of the document's own JSON text, never turned into Python dicts and back into JSON
(`nested_column`). That text is what `normalize.to_json_text` writes but for two things a query
hardly sees: a number keeps the form it was sent in (`1.50`, not `1.5`), and a key repeated
within one object (which JSON leaves undefined) is kept as sent.

Anything else (another shape, an unknown field, a number where text belongs, bad bytes, a lone
surrogate, nesting past the parser's depth) is `None` here and takes the general path
(`pipeline.decode`), which reads every shape and says what is wrong with a bad record.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

import msgspec
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.normalize import JSON_FIELDS, SCALAR_FIELDS

_ABSENT = msgspec.Raw()  # a nested field the record does not have
# Text and boolean fields, in the order of the Arrow struct `normalize_bulk` converts them to.
TEXT_FIELDS = ("eventID", "eventTime", *SCALAR_FIELDS)
FLAT_FIELDS = (*TEXT_FIELDS, "readOnly", "managementEvent")
NESTED_FIELDS = (*JSON_FIELDS, "userIdentity")
PlainRecord = msgspec.defstruct(
    "PlainRecord",
    [
        *[(name, str | None, None) for name in TEXT_FIELDS],
        *[(name, bool | None, None) for name in ("readOnly", "managementEvent")],
        ("sessionCredentialFromConsole", str | bool | None, None),  # CloudTrail writes "true"
        *[(name, msgspec.Raw, _ABSENT) for name in NESTED_FIELDS],
    ],
    forbid_unknown_fields=True,
    gc=False,  # no cycles: the collector need not track millions of them
)
_Document = msgspec.defstruct(
    "Document",
    [("Records", list[PlainRecord])],  # type: ignore[valid-type]
    forbid_unknown_fields=True,
)
_DECODER = msgspec.json.Decoder(_Document)
flat_values = attrgetter(*FLAT_FIELDS)  # a record's text and boolean fields, as one tuple
# A nested value whose text is not as `normalize.to_json_text` writes it: whitespace between
# tokens (pretty-printed), or an escape standing for a character that needs none (`\u003d` for
# `=`, as older CloudTrail writes, or `\/`), which `LIKE '%=%'` would not find.
_REWRITE = r'^(?:[^"\s]|"(?:[^"\\]|\\.)*")*\s|\\[u/]'


def decode_plain(text: bytes) -> list[Any] | None:
    """The `PlainRecord`s of a plain CloudTrail document; None when it is not one."""
    if not text.isascii():
        try:
            text.decode("utf-8")  # the parser checks text fields, not the nested slices
        except UnicodeDecodeError:
            return None
    try:
        records: list[Any] = _DECODER.decode(text).Records  # type: ignore[attr-defined]
    except (msgspec.MsgspecError, RecursionError):
        return None
    return records


def nested_column(records: list[Any], name: str) -> tuple[pa.Array, list[int]]:
    """Each record's nested field `name` as JSON text (null where absent or JSON null), and the
    records whose value could not be written so (left to `normalize_event`).

    The text is the value's own slice of its document, gathered into one Arrow array without a
    Python object per value; the rare value `_REWRITE` finds is parsed and written again.
    """
    raws = list(map(attrgetter(name), records))
    lengths = np.fromiter(map(len, raws), np.int32, len(raws))
    offsets = np.zeros(len(raws) + 1, np.int32)
    np.cumsum(lengths, out=offsets[1:])
    data = pa.py_buffer(b"".join(raws))  # valid UTF-8: `decode_plain` checked the document
    texts = pa.StringArray.from_buffers(len(raws), pa.py_buffer(offsets), data)
    absent = pc.or_(pc.equal(pa.array(lengths), 0), pc.equal(texts, "null"))
    texts = pc.if_else(absent, pa.scalar(None, pa.string()), texts)
    rewrite = pc.fill_null(pc.match_substring_regex(texts, _REWRITE), False)
    failed: list[int] = []
    if pc.any(rewrite).as_py():
        values = texts.to_pylist()
        for i in pc.indices_nonzero(rewrite).to_pylist():
            try:
                values[i] = orjson.dumps(orjson.loads(values[i])).decode()
            except (orjson.JSONDecodeError, orjson.JSONEncodeError):
                values[i] = None
                failed.append(i)
        texts = pa.array(values, pa.string())
    return texts, failed
