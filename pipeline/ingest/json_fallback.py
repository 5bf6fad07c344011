"""Python's JSON where orjson (the fast path) cannot go, reading values as orjson does.

orjson refuses a number past a double's range (`1e999`) and nesting past its depth limit;
Python's JSON reads both, but reads `1e999` as infinity (which JSON writers write as `null`)
and accepts `NaN` and `Infinity`, which are not JSON. Read through `DECODER`, a number past a
double's range keeps its text (an `orjson.Fragment`, written back as it was: DuckDB reads it),
integers past 64 bits become floats as orjson makes them, and `NaN` and `Infinity` are refused.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson


def loads(text: str) -> Any:
    """One JSON value: by orjson, or past its limits by Python's JSON, numbers read alike."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return DECODER.decode(text)  # `1e999` (orjson refuses it), or truly invalid: raises


def json_int(text: str) -> int | float | orjson.Fragment:
    """An integer as orjson (the fast path) reads it: past 64 bits, a float; past a float's
    range, its text (`json_float`)."""
    if len(text) <= 21:
        value = int(text)
        if -(2**63) <= value < 2**64:
            return value
    return json_float(text)


def json_float(text: str) -> float | orjson.Fragment:
    """A number as a float; past a float's range (`1e999`), its own text, which orjson writes
    back as it was (Python's float would be infinity, written as `null`)."""
    value = float(text)
    return value if math.isfinite(value) else orjson.Fragment(text)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


# Python's JSON reading numbers as the fast path does, and refusing NaN and Infinity.
DECODER = json.JSONDecoder(parse_int=json_int, parse_float=json_float, parse_constant=_not_json)


def unencodable(record: Any) -> str | None:
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
