"""Every `trailguard` command builds the whole parser: doing so must not load what only other
commands use (an ingest every five minutes should not pay for the generator or the detectors)."""

from __future__ import annotations

import subprocess
import sys

ONLY_FOR_OTHER_COMMANDS = (
    "pipeline.synth.generate",  # synth, demo
    "pipeline.evaluate",  # eval, demo
    "pipeline.detect",  # train, detect
    "sklearn",
    "prefect",  # flow, serve
    "boto3",  # S3 sources and exports, loaded when one is used
    "botocore",
)


def test_building_the_parser_loads_none_of_the_other_commands_stacks() -> None:
    probe = (
        "import sys, pipeline.cli\n"
        "pipeline.cli.build_parser()\n"
        f"print(' '.join(m for m in {ONLY_FOR_OTHER_COMMANDS!r} if m in sys.modules))"
    )
    run = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert run.stdout.split() == []
