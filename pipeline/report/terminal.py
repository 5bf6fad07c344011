"""Text from the lake made safe to print: no terminal escapes, no spreadsheet formulas.

Every field of a CloudTrail record is written by whoever made the call: a `userAgent` of
`\\x1b]2;...\\x07` retitles the analyst's terminal, `\\x1b[2J` clears it, and a carriage return
or a backspace overwrites what was printed before it. Printed text therefore shows every
control character as a visible escape (`\\x1b`), so the analyst sees that someone tried.

A CSV cell starting with `=`, `+`, `-`, `@` (or a tab or carriage return) is a formula to a
spreadsheet (`=HYPERLINK(...)` in a principal name): as OWASP advises, such a cell is prefixed
with `'`, which spreadsheets show as text.
"""

from __future__ import annotations

import re

# C0 controls (but newline and tab, which `printable` keeps when asked), DEL, C1 controls, and
# the Unicode bidirectional overrides and isolates, which reorder what follows them on screen.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_LINE_BREAKS = re.compile(r"[\n\t]")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
ELLIPSIS = "…"


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, *, keep_lines: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`); newlines and tabs
    are kept when `keep_lines`, else shown as escapes too."""
    escaped = _CONTROL.sub(_escape, text)
    return escaped if keep_lines else _LINE_BREAKS.sub(_escape, escaped)


def shorten_middle(text: str, width: int) -> str:
    """`text` cut to `width` characters in the middle, so that both ends stay readable (an
    Identity Center session ends with the person's e-mail, an ARN starts with its account)."""
    if len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    head = width // 2
    tail = width - 1 - head
    return text[:head] + ELLIPSIS + (text[-tail:] if tail else "")


def csv_cell(value: object) -> object:
    """A value as a CSV cell: text made `printable` (line breaks kept, CSV quotes them), and
    text that a spreadsheet would run as a formula prefixed with `'`. Numbers stay numbers."""
    if not isinstance(value, str):
        return value
    text = printable(value, keep_lines=True)
    return "'" + text if text.startswith(_FORMULA_START) else text
