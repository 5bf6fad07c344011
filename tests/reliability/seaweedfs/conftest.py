"""In this folder `s3_server` is SeaweedFS, not moto: the same S3 tests meet a production store.

`s3_bucket` (tests/conftest.py) builds on `s3_server` and `aws_env`, so overriding these two is
enough for every S3 test collected here to run against SeaweedFS, with its own credentials.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.reliability.seaweed import ACCESS_KEY, SECRET_KEY, SeaweedFS


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SeaweedFS]:
    """One SeaweedFS (`weed mini`) for the session, on loopback, torn down after."""
    server = SeaweedFS(tmp_path_factory.mktemp("seaweedfs")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def s3_server(seaweedfs: SeaweedFS) -> str:
    """The SeaweedFS S3 endpoint, in place of the moto server."""
    return seaweedfs.endpoint


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The credentials SeaweedFS was configured with (it checks every signature)."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
