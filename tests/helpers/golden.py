"""Golden files: expected payloads in tests/golden/, rewritten with UPDATE_GOLDEN=1."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

GOLDEN = Path(__file__).resolve().parents[1] / "golden"


def assert_golden(name: str, actual: Any) -> None:
    """`actual` (JSON-able, or text/bytes) equals tests/golden/<name>."""
    path = GOLDEN / name
    if isinstance(actual, bytes):
        text = actual.decode("utf-8")
    elif isinstance(actual, str):
        text = actual
    else:
        text = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if os.environ.get("UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text, encoding="utf-8")
        if os.environ.get("UPDATE_GOLDEN") != "1":
            raise AssertionError(f"golden file {path.name} was missing and has been written")
    assert text == path.read_text(encoding="utf-8"), f"payload differs from golden {path.name}"
