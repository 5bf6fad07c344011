"""Export to Security Hub on a local moto server: BatchImportFindings, updates in place."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.helpers.findings import many_findings, ml_finding, rule_finding
from tests.helpers.lake import store
from trailguard.pipeline.export.deliver import export_findings
from trailguard.pipeline.export.securityhub import send_batch, to_payload


@pytest.fixture(scope="module")
def hub_endpoint() -> Iterator[str]:
    """Security Hub and STS on a moto server of its own (s3_server may be another S3 store)."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def hub_findings(endpoint: str) -> dict[str, dict[str, Any]]:
    client = boto3.client("securityhub", endpoint_url=endpoint, region_name="us-east-1")
    found: dict[str, dict[str, Any]] = {}
    for page in client.get_paginator("get_findings").paginate():
        found.update({f["Id"]: f for f in page["Findings"]})
    return found


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_findings_are_imported_and_an_update_replaces_the_same_hub_finding(
    hub_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    rule, ml = rule_finding(), ml_finding()
    others = many_findings(100, first=1000)  # more than BatchImportFindings takes in one call
    before = set(hub_findings(hub_endpoint))
    store(lake, [rule, ml, *others])

    first = export_findings(
        lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, batch_size=150
    )
    grown = dataclasses.replace(ml, event_count=300, last_seen=ml.last_seen + timedelta(hours=2))
    store(lake, [grown])
    second = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint)

    hub = {k: v for k, v in hub_findings(hub_endpoint).items() if k not in before}
    assert (first.sent, second.sent) == (102, 1) and first.ok and second.ok
    assert len(hub) == 102  # updated in place, not added
    updated = hub[ml.finding_id]
    assert updated["ProductFields"]["trailguard/Version"] == "2"
    assert updated["ProductFields"]["trailguard/EventCount"] == "300"
    assert updated["LastObservedAt"].startswith("2026-10-05T16:45:27")
    assert updated["ProductArn"].endswith(":product/123456789012/default")  # caller's account
    assert hub[rule.finding_id]["Types"] == [
        "TTPs/Defense Evasion/Stealth:IAMUser-CloudTrailLoggingDisabled"
    ]


def test_an_unreachable_security_hub_leaves_everything_for_the_next_run(
    hub_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(3, first=2000))
    down = f"http://127.0.0.1:{closed_port()}"

    failed = export_findings(
        lake, "securityhub:us-east-1", endpoint_url=down, max_retries=1, backoff=0.01, timeout=1
    )
    later = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint)

    assert failed.retryable and failed.sent == 0 and failed.cursor_after == 0
    assert failed.error is not None and "securityhub:us-east-1" in failed.error
    assert later.ok and later.sent == 3
    assert {f.finding_id for f in stored} <= set(hub_findings(hub_endpoint))


def test_a_finding_security_hub_refuses_alone_is_a_rejection_not_a_failed_batch(
    hub_endpoint: str, aws_env: None
) -> None:
    client = boto3.client("securityhub", endpoint_url=hub_endpoint, region_name="us-east-1")
    good, bad = many_findings(2, first=3000)
    arn = "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default"
    payloads = [
        to_payload(f, product_arn=arn, account_id="123456789012", region="us-east-1")
        for f in (good, bad)
    ]
    payloads[1]["Resources"] = []  # what Security Hub refuses as InvalidInput

    rejected = send_batch(client, payloads, [good, bad], "securityhub:us-east-1")

    assert [(r.finding_id, r.revision) for r in rejected] == [(bad.finding_id, bad.revision)]
    assert rejected[0].reason.startswith("InvalidInput")
    assert good.finding_id in hub_findings(hub_endpoint)
