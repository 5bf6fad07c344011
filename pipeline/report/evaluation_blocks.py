"""The evaluation's text in the report: its Markdown table and aligned lines as HTML tables."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_CELLS = re.compile(r"\s*\|\s*")
_GAP = re.compile(r"\s{2,}")


@dataclass(frozen=True)
class Block:
    """A table (`rows`, with a `head` or keyed by its first column) or a paragraph (`text`)."""

    rows: list[list[str]] = field(default_factory=list)
    head: list[str] = field(default_factory=list)
    keyed: bool = False
    text: str = ""


def evaluation_blocks(text: str) -> list[Block]:
    """The evaluation's text (pipeline/evaluation/scorecard.py: a Markdown table, then aligned
    `name   value` lines) as HTML tables: a Markdown table keeps its head, aligned lines become
    a two-column table, indented lines included."""
    blocks: list[Block] = []
    lines = [line for line in text.splitlines() if line.strip()]
    table = [line for line in lines if line.lstrip().startswith("|")]
    if table:
        cells = [_CELLS.split(line.strip().strip("|")) for line in table]
        body = [c for c in cells[1:] if not all(set(x) <= {"-", ":"} for x in c)]
        blocks.append(Block(rows=body, head=cells[0]))
    rows = []
    for line in lines:
        if line.lstrip().startswith("|"):
            continue
        parts = _GAP.split(line.strip(), maxsplit=1)
        name = ("\u2003" if line.startswith(" ") else "") + parts[0]
        rows.append([name, parts[1] if len(parts) > 1 else ""])
    if rows:
        blocks.append(Block(rows=rows, keyed=True))
    return blocks
