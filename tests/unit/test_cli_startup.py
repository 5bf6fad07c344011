"""The `trailguard` process: every command builds the whole parser, which must not load what
only other commands use (an ingest every five minutes should not pay for the generator or the
detectors), and ends with its code and all of its output."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from trailguard.pipeline.ingest.state import ensure_tables
from trailguard.pipeline.lake.db import open_db

ONLY_FOR_OTHER_COMMANDS = (
    "trailguard.pipeline.synth.generate",  # synth, demo
    "trailguard.pipeline.evaluation.evaluate",  # eval, demo
    "trailguard.pipeline.detect.detect",  # train, detect
    "sklearn",
    "prefect",  # flow, serve
    "boto3",  # S3 sources and exports, loaded when one is used
    "botocore",
)


def test_building_the_parser_loads_none_of_the_other_commands_stacks() -> None:
    probe = (
        "import sys, trailguard.pipeline.cli.main\n"
        "trailguard.pipeline.cli.main.build_parser()\n"
        f"print(' '.join(m for m in {ONLY_FOR_OTHER_COMMANDS!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.split() == []


def test_the_command_exits_with_its_code_and_all_of_its_output(tmp_path: Path) -> None:
    with open_db(tmp_path) as con:
        ensure_tables(con)
    command = [
        sys.executable,
        "-m",
        "trailguard.pipeline.cli.main",
        "query",
        "--lake",
        str(tmp_path),
    ]
    rows = "select range as n from range(5000)"  # more than one buffer of output
    wrong = "select nonsense"  # a mistake of the user's: a one-line error, exit 2

    answered = subprocess.run([*command, rows, "--format", "csv"], capture_output=True, text=True)
    refused = subprocess.run([*command, wrong], capture_output=True, text=True)

    assert answered.returncode == 0
    assert answered.stdout.splitlines() == ["n", *map(str, range(5000))]
    assert refused.returncode == 2
    assert (
        refused.stderr.startswith("trailguard: query failed: Binder Error")
        and "nonsense" in refused.stderr
    )
    assert "Traceback" not in refused.stderr
