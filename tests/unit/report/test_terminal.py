"""Text from the logs printed safely: what a terminal would act on is shown, formulas are text."""

from __future__ import annotations

import csv
import io
import json

from trailguard.pipeline.report.output import format_table, json_line, print_rows
from trailguard.pipeline.report.terminal import csv_cell, printable, shorten_middle

RETITLE = "\x1b]2;owned\x07"  # an OSC sequence: sets the terminal's title
CLEAR = "\x1b[2J"


def test_control_characters_are_shown_as_escapes_not_sent_to_the_terminal() -> None:
    assert printable(f"aws-cli{RETITLE}{CLEAR}") == "aws-cli\\x1b]2;owned\\x07\\x1b[2J"


def test_carriage_returns_backspaces_and_c1_controls_are_escaped_too() -> None:
    assert printable("ok\r\bX\x9b31m") == "ok\\x0d\\x08X\\x9b31m"


def test_bidirectional_overrides_are_escaped() -> None:
    assert printable("user\u202egnp.exe") == "user\\u202egnp.exe"


def test_line_breaks_are_kept_only_when_asked() -> None:
    assert printable("a\nb\tc") == "a\\x0ab\\x09c"
    assert printable("a\nb\tc", keep_lines=True) == "a\nb\tc"


def test_ordinary_text_and_unicode_are_unchanged() -> None:
    text = "arn:aws:sts::1:assumed-role/Admin/zoë@example.com"
    assert printable(text) == text


def test_a_long_principal_loses_its_middle_and_keeps_the_e_mail_at_its_end() -> None:
    principal = (
        "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_"
        "0123456789abcdef/jane.doe@example.com"
    )
    short = shorten_middle(principal, 60)
    assert len(short) == 60
    assert short.startswith("arn:aws:sts::111122223333:")
    assert short.endswith("jane.doe@example.com")
    assert "…" in short


def test_text_within_the_width_is_not_shortened() -> None:
    assert shorten_middle("short", 80) == "short"


def test_csv_cells_a_spreadsheet_would_run_become_text() -> None:
    for formula in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"):
        assert csv_cell(formula) == "'" + printable(formula, keep_lines=True)
    assert csv_cell("alice") == "alice"
    assert csv_cell(-5) == -5  # a number is a number, not a formula


def test_a_table_escapes_controls_and_shortens_long_cells_in_the_middle() -> None:
    agent = f"Boto3/1.34{CLEAR}"
    long = "x" * 40 + "y" * 40 + "@example.com"
    table = format_table(["user_agent", "principal"], [[agent, long]])
    assert "\x1b" not in table and "Boto3/1.34\\x1b[2J" in table
    assert "@example.com" in table and "…" in table


def test_csv_output_neutralises_formulas_and_control_characters() -> None:
    out = io.StringIO()
    print_rows(["principal", "n"], [["=cmd|' /C calc'!A0", 3], [f"ua{CLEAR}", -1]], "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["principal", "n"], ["'=cmd|' /C calc'!A0", "3"], ["ua\\x1b[2J", "-1"]]


def test_json_lines_escape_what_a_terminal_acts_on_and_keep_the_value() -> None:
    line = json_line({"ua": f"a{CLEAR}b\x9bc\u202e"})
    assert all(ch not in line for ch in ("\x1b", "\x9b", "\u202e"))
    assert json.loads(line) == {"ua": f"a{CLEAR}b\x9bc\u202e"}
