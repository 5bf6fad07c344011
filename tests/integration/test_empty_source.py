"""A source that lists no CloudTrail object: a mistake on a new lake, normal on an existing one.

On a new lake `ingest` and `run` end with one line naming the source (an S3 URI's bucket and
prefix apart), exit 2, and leave no lake behind; on a lake with events they warn in one line and
exit 0, since a scheduled run with nothing new is normal.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from tests.factories import cloudtrail_event
from trailguard.pipeline.cli.main import main

DAY = "AWSLogs/111122223333/CloudTrail/us-east-1/2026/10/05/"


def one_line(err: str) -> str:
    """The single line of stderr (fails if it is more, or a traceback)."""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    return lines[0]


def trail(root: Path) -> Path:
    """A folder with one CloudTrail log of three events."""
    path = root / DAY / "111122223333_CloudTrail_us-east-1_20261005T1405Z_a.json"
    path.parent.mkdir(parents=True)
    events = [cloudtrail_event(eventName=f"List{i}") for i in range(3)]
    path.write_bytes(orjson.dumps({"Records": events}))
    return root


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_an_empty_folder_on_a_new_lake_is_one_line_exit_2_and_no_lake(
    command: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty, lake = tmp_path / "empty", tmp_path / "lake"
    empty.mkdir()

    code = main([command, "--source", str(empty), "--lake", str(lake)])

    line = one_line(capsys.readouterr().err)
    assert code == 2
    assert line.startswith(f"trailguard: found no CloudTrail log file under {empty}: check")
    assert not lake.exists()


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_a_wrong_s3_prefix_on_a_new_lake_names_bucket_and_prefix_and_keeps_no_lake(
    command: str,
    s3_bucket: tuple[Any, str],
    s3_server: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    client, bucket = s3_bucket
    body = orjson.dumps({"Records": [cloudtrail_event()]})
    client.put_object(Bucket=bucket, Key="logs/" + DAY + "a.json", Body=body)
    lake = tmp_path / "lake"
    source = f"s3://{bucket}/wrong-prefix"

    code = main([command, "--source", source, "--lake", str(lake), "--endpoint-url", s3_server])

    line = one_line(capsys.readouterr().err)
    assert code == 2
    assert f"under {source} (bucket '{bucket}', prefix 'wrong-prefix/')" in line
    assert not lake.exists()


@pytest.mark.parametrize("command", ["ingest", "run"])
def test_an_empty_source_on_a_lake_with_events_warns_in_one_line_and_exits_0(
    command: str, tmp_path: Path
) -> None:
    lake, empty = tmp_path / "lake", tmp_path / "empty"
    empty.mkdir()
    assert main(["ingest", "--source", str(trail(tmp_path / "trail")), "--lake", str(lake)]) == 0

    # In a process of its own: what reaches its stderr, through the CLI's own logging set-up.
    cli = [sys.executable, "-m", "trailguard.pipeline.cli.main"]
    done = subprocess.run(
        [*cli, command, "--source", str(empty), "--lake", str(lake)],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if "nothing to ingest" in line]
    assert len(warnings) == 1 and "Traceback" not in done.stderr
    assert f"no CloudTrail log found under {empty}. Expected objects" in warnings[0]
