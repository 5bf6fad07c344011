"""The CLI turns an unreachable S3 into a one-line error and an exit code, not a traceback."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from trailguard.pipeline.cli.main import main


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_s3_endpoint_is_a_clear_error_and_nothing_is_marked_read(
    aws_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    endpoint = f"http://127.0.0.1:{free_port()}"  # nothing listens there

    code = main(
        ["ingest", "--source", "s3://trail", "--lake", str(tmp_path), "--endpoint-url", endpoint]
    )

    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("trailguard: AWS request failed:") and "Traceback" not in err
