"""Shared test fixtures: the CloudTrail event factory, real samples, and a local S3 server."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"  # real logs and schemas, each folder with its provenance
SAMPLES = DATA / "cloudtrail"


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """How `pytest -n` (pyproject.toml) shares the tests among its workers: a test file runs
    whole on one worker, so that its module fixtures are built once and its tests run in the
    order written; and every test that needs the Prefect server (tests/flows/conftest.py) runs
    on one worker, against one server."""
    for item in items:
        needs_prefect = "prefect_api" in getattr(item, "fixturenames", ())
        group = "prefect-server" if needs_prefect else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(scope="session")
def samples() -> Path:
    """The real CloudTrail samples (tests/data/cloudtrail, provenance in its README)."""
    if not SAMPLES.is_dir():
        pytest.fail(f"real CloudTrail samples not found at {SAMPLES}")
    return SAMPLES


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """A moto S3 server on loopback, spoken to over HTTP; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials so boto3 never looks for real ones."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def s3_bucket(s3_server: str, aws_env: None, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh, empty bucket on the local S3 server; yields (client, bucket name)."""
    from trailguard.pipeline.ingest.sources.s3 import s3_client

    client = s3_client(s3_server)
    name = "trail-" + request.node.name.lower().replace("_", "-")[:40].strip("-[]")
    name = "".join(c if c.isalnum() or c == "-" else "-" for c in name)
    client.create_bucket(Bucket=name)
    yield client, name
    objects = client.list_objects_v2(Bucket=name).get("Contents", [])
    for item in objects:
        client.delete_object(Bucket=name, Key=item["Key"])
    client.delete_bucket(Bucket=name)
