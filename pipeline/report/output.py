"""Printing result rows for people (aligned table) and programs (CSV, JSON lines).

Cells hold text from the logs, written by whoever made the calls: every format prints it safely
(`pipeline.report.terminal`): control characters as visible escapes in a table, formula cells
neutralised in CSV, and in JSON the characters a terminal acts on escaped as `\\uXXXX`.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Sequence
from typing import Any, TextIO

import orjson

from trailguard.pipeline.report.terminal import csv_cell, printable, shorten_middle

MAX_CELL = 80
# Left to JSON's own escaping: C0 controls. These are valid JSON either way but act on a
# terminal (DEL, C1 controls such as the 8-bit CSI, bidirectional overrides).
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def print_rows(
    columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: TextIO | None = None
) -> None:
    """Print `rows` as an aligned table, CSV, or one JSON object per line."""
    out = out or sys.stdout
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow([csv_cell(c) for c in columns])
        writer.writerows([csv_cell(v) for v in row] for row in rows)
    elif fmt == "json":
        for row in rows:
            record = dict(zip(columns, row, strict=True))
            out.write(json_line(record) + "\n")
    else:
        out.write(format_table(columns, rows) + "\n")


def json_line(record: dict[str, Any]) -> str:
    """`record` as one line of JSON whose text no terminal acts on."""
    text = orjson.dumps(record, default=str).decode()
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def format_table(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An aligned plain-text table with a header rule and a row count; a cell longer than
    `MAX_CELL` loses its middle, not its end."""
    header = [_cell(c) for c in columns]
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(c) for c in header]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells)
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return shorten_middle(printable(text.replace("\n", " ")), MAX_CELL)
