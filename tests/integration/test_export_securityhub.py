"""Export to Security Hub on a local moto server: BatchImportFindings, updates in place.

moto imports any finding from any caller; AWS takes a finding of an account's default product
only from that account. `hub_endpoint` enforces that rule in moto's backend, refusing the others
in FailedFindings as AWS does, so that these tests fail where AWS would refuse. moto's STS gives
an assumed role's credentials the role's account, so each account's hub is its own backend.

moto (5.x) has no BatchUpdateFindings, the customer's side of a finding (Workflow, Note).
`hub_endpoint` adds it as AWS documents it: a member account updates only its own findings (a
finding another account holds is not found in the caller's hub), a finding is named by Id and
ProductArn, the Note gets UpdatedAt, and BatchImportFindings no longer changes Workflow or Note
once the finding exists.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import socket
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import duckdb
import pytest

from tests.helpers.findings import many_findings, ml_finding, rule_finding
from tests.helpers.lake import store
from trailguard.pipeline.cli.main import main
from trailguard.pipeline.export.asff import to_payload
from trailguard.pipeline.export.deliver import export_findings
from trailguard.pipeline.export.securityhub import send_batch
from trailguard.pipeline.findings.triage import set_status
from trailguard.pipeline.lake.db import db_path, open_db

CALLER = "123456789012"  # moto's account for the test credentials
MEMBER, OTHER = "111122223333", "444455556666"
ROLE = "arn:aws:iam::{account}:role/TrailguardSecurityHubImport"


def _own_account_only(original: Any) -> Any:
    """moto's BatchImportFindings, refusing what AWS refuses: a finding of a default product
    imported by another account than the product's and the finding's."""

    def batch_import_findings(self: Any, findings: list[dict[str, Any]]) -> Any:
        allowed, refused = [], []
        for finding in findings:
            arn = str(finding.get("ProductArn", ""))
            owner = arn.split(":")[4] if arn.count(":") >= 5 else ""
            default = arn.endswith(f":product/{owner}/default")
            if default and self.account_id not in {owner} & {finding.get("AwsAccountId")}:
                message = (
                    f"Account {self.account_id} is not allowed to import findings of account "
                    f"{finding.get('AwsAccountId')} for product {arn}"
                )
                failure = {"ErrorCode": "AccessDeniedException", "ErrorMessage": message}
                refused.append({"Id": finding.get("Id", ""), **failure})
            else:
                allowed.append(finding)
        failed, succeeded, failures = original(self, allowed)
        return failed + len(refused), succeeded, [*failures, *refused]

    return batch_import_findings


_CUSTOMER_FIELDS = ("Note", "UserDefinedFields", "VerificationState", "Workflow")
UPDATES: list[tuple[str, dict[str, Any]]] = []  # (calling account, request) of each update


def _keep_customer_fields(original: Any) -> Any:
    """BatchImportFindings as AWS documents it: once a finding exists, the provider cannot
    change its Note, UserDefinedFields, VerificationState or Workflow."""

    def batch_import_findings(self: Any, findings: list[dict[str, Any]]) -> Any:
        existing = {f.id for f in self.findings}
        kept = [
            {k: v for k, v in f.items() if k not in _CUSTOMER_FIELDS or f.get("Id") not in existing}
            for f in findings
        ]
        return original(self, kept)

    return batch_import_findings


def _batch_update_findings(self: Any, request: dict[str, Any]) -> Any:
    """BatchUpdateFindings in the caller's own hub: Workflow and Note of the findings named."""
    UPDATES.append((self.account_id, request))
    held = {f.id: f for f in self.findings}
    processed, unprocessed = [], []
    for identifier in request.get("FindingIdentifiers", []):
        finding = held.get(identifier.get("Id"))
        if finding is None or finding.data.get("ProductArn") != identifier.get("ProductArn"):
            failure = {"ErrorCode": "FindingNotFound", "ErrorMessage": "Finding Not Found"}
            unprocessed.append({"FindingIdentifier": identifier, **failure})
            continue
        if "Workflow" in request:
            finding.data["Workflow"] = dict(request["Workflow"])
        if "Note" in request:
            finding.data["Note"] = {**request["Note"], "UpdatedAt": "2026-10-06T00:00:00.000Z"}
        processed.append(identifier)
    return processed, unprocessed


def _batch_update_findings_response(self: Any) -> str:
    body = self.body.decode() if isinstance(self.body, bytes) else self.body
    processed, unprocessed = self.securityhub_backend.batch_update_findings(json.loads(body))
    return json.dumps({"ProcessedFindings": processed, "UnprocessedFindings": unprocessed})


@pytest.fixture(scope="module")
def hub_endpoint() -> Iterator[str]:
    """Security Hub and STS on a moto server of its own (s3_server may be another S3 store)."""
    from moto.securityhub import urls
    from moto.securityhub.models import SecurityHubBackend
    from moto.securityhub.responses import SecurityHubResponse
    from moto.server import ThreadedMotoServer

    with pytest.MonkeyPatch.context() as patch:
        original = SecurityHubBackend.batch_import_findings
        checked = _keep_customer_fields(_own_account_only(original))
        patch.setattr(SecurityHubBackend, "batch_import_findings", checked)
        update = _batch_update_findings
        patch.setattr(SecurityHubBackend, "batch_update_findings", update, raising=False)
        answer = _batch_update_findings_response
        patch.setattr(SecurityHubResponse, "batch_update_findings", answer, raising=False)
        patch.setitem(urls.url_paths, "{0}/findings/batchupdate$", SecurityHubResponse.dispatch)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
        server.stop()


def hub_findings(endpoint: str, account: str = MEMBER) -> dict[str, dict[str, Any]]:
    """The findings in `account`'s Security Hub (us-east-1) of the moto server."""
    from moto.securityhub.models import securityhub_backends

    return {f.id: f.data for f in securityhub_backends[account]["us-east-1"].findings}


def rejects(lake: Path) -> list[tuple[str, str]]:
    with duckdb.connect(str(db_path(lake)), read_only=True) as con:
        rows = con.execute("SELECT finding_id, reason FROM export_rejects").fetchall()
    return [(str(r[0]), str(r[1])) for r in rows]


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
        lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, batch_size=150, role=ROLE
    )
    grown = dataclasses.replace(ml, event_count=300, last_seen=ml.last_seen + timedelta(hours=2))
    store(lake, [grown])
    second = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE)

    hub = {k: v for k, v in hub_findings(hub_endpoint).items() if k not in before}
    assert (first.sent, second.sent) == (102, 1) and first.ok and second.ok
    assert len(hub) == 102  # updated in place, not added
    updated = hub[ml.finding_id]
    assert updated["ProductFields"]["trailguard/Version"] == "2"
    assert updated["ProductFields"]["trailguard/EventCount"] == "300"
    assert updated["LastObservedAt"].startswith("2026-10-05T16:45:27")
    assert updated["ProductArn"].endswith(f":product/{MEMBER}/default")  # the finding's account
    assert updated["FindingProviderFields"]["Types"] == updated["Types"]
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
    later = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE)

    assert failed.retryable and failed.sent == 0 and failed.cursor_after == 0
    assert failed.error is not None and "securityhub:us-east-1" in failed.error
    assert later.ok and later.sent == 3
    assert {f.finding_id for f in stored} <= set(hub_findings(hub_endpoint))


def test_a_finding_security_hub_refuses_alone_is_a_rejection_not_a_failed_batch(
    hub_endpoint: str, aws_env: None
) -> None:
    client = boto3.client("securityhub", endpoint_url=hub_endpoint, region_name="us-east-1")
    good, bad = many_findings(2, first=3000)
    good, bad = (dataclasses.replace(f, account_id=CALLER) for f in (good, bad))
    payloads = [to_payload(f, account_id=CALLER, region="us-east-1") for f in (good, bad)]
    payloads[1]["Resources"] = []  # what Security Hub refuses as InvalidInput

    rejected = send_batch(client, payloads, [good, bad], "securityhub:us-east-1")

    assert [(r.finding_id, r.revision) for r in rejected] == [(bad.finding_id, bad.revision)]
    assert rejected[0].reason.startswith("InvalidInput")
    assert good.finding_id in hub_findings(hub_endpoint, CALLER)


def test_an_organisations_findings_land_each_in_its_own_accounts_hub_one_session_each(
    hub_endpoint: str, aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.sts.models import STSBackend

    assumed: list[str] = []
    original = STSBackend.assume_role

    def assume_role(self: Any, *args: Any, **kwargs: Any) -> Any:
        assumed.append(str(kwargs.get("role_arn")))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(STSBackend, "assume_role", assume_role)
    lake = tmp_path / "lake"
    org = [
        dataclasses.replace(f, account_id=account)
        for i, f in enumerate(many_findings(9, first=4000))
        for account in [(CALLER, MEMBER, OTHER)[i % 3]]
    ]
    store(lake, org)

    stats = export_findings(
        lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, batch_size=4, role=ROLE
    )

    assert stats.ok and (stats.sent, stats.failed) == (9, 0) and rejects(lake) == []
    for account in (CALLER, MEMBER, OTHER):
        expected = {f.finding_id for f in org if f.account_id == account}
        hub = hub_findings(hub_endpoint, account)
        assert expected <= set(hub)
        assert {hub[i]["AwsAccountId"] for i in expected} == {account}
        assert {hub[i]["ProductArn"].split(":")[4] for i in expected} == {account}
    # Three batches, two other accounts: each role assumed once, the caller's own never.
    assert sorted(assumed) == [ROLE.format(account=a) for a in (MEMBER, OTHER)]


def test_without_a_role_another_accounts_finding_stops_the_export_and_loses_nothing(
    hub_endpoint: str,
    aws_env: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(2, first=5000))
    monkeypatch.delenv("TRAILGUARD_SECURITYHUB_ROLE", raising=False)
    args = ["export", "--to", "securityhub:us-east-1", "--lake", str(lake)]
    args += ["--endpoint-url", hub_endpoint, "--max-retries", "0"]

    stopped = main(args)
    err = capsys.readouterr().err
    sent = main([*args, "--securityhub-role", "TrailguardSecurityHubImport"])

    assert stopped == 1 and f"account(s) {MEMBER} cannot be imported" in err
    assert "--securityhub-role" in err and rejects(lake) == []
    assert sent == 0 and {f.finding_id for f in stored} <= set(hub_findings(hub_endpoint))


def test_findings_security_hub_refuses_are_logged_kept_and_counted_by_the_cli(
    hub_endpoint: str,
    aws_env: None,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    lake = tmp_path / "lake"
    stored = store(lake, many_findings(2, first=6000))
    # `?account=` claims the caller is the findings' account: it is not, so AWS refuses them.
    to = f"securityhub:us-east-1?account={MEMBER}"

    code = main(["export", "--to", to, "--lake", str(lake), "--endpoint-url", hub_endpoint])
    output = capsys.readouterr()

    assert code == 0  # refused one by one: the cursor moves on, the rejects stay listed
    assert "refused 2" in output.out and "refused 2 finding(s)" in output.err
    assert "export_rejects" in output.err
    kept = dict(rejects(lake))
    assert set(kept) == {f.finding_id for f in stored}
    assert all(r.startswith("AccessDeniedException: Account 123456789012") for r in kept.values())
    assert sum("AccessDeniedException" in r.getMessage() for r in caplog.records) == 2


def decide(lake: Path, finding_id: str, *, archived: bool, actor: str, reason: str) -> None:
    """`trailguard archive` / `unarchive` on the stored lake."""
    with open_db(lake) as con:
        set_status(con, finding_id, archived=archived, actor=actor, reason=reason)


def updates_since(mark: int) -> list[tuple[str, dict[str, Any]]]:
    return UPDATES[mark:]


def test_an_analysts_archive_and_unarchive_reach_security_hub_as_workflow_and_note(
    hub_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    judged, other = many_findings(2, first=7000)  # of MEMBER: imported through its role
    store(lake, [judged, other])
    export = lambda: export_findings(  # noqa: E731
        lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE
    )
    first, mark = export(), len(UPDATES)

    decide(lake, judged.finding_id, archived=True, actor="ana", reason="approved change CHG-1182")
    archived = export()
    archived_hub = copy.deepcopy(hub_findings(hub_endpoint)[judged.finding_id])
    archive_calls, mark = updates_since(mark), len(UPDATES)
    quiet = export()
    decide(lake, judged.finding_id, archived=False, actor="bo", reason="CHG-1182 was never run")
    unarchived = export()
    hub = hub_findings(hub_endpoint)
    unarchive_calls, mark = updates_since(mark), len(UPDATES)
    quiet_again = export()

    assert (first.sent, archived.sent, quiet.sent, unarchived.sent, quiet_again.sent) == (
        2, 1, 0, 1, 0,
    )  # fmt: skip
    assert archived_hub["RecordState"] == "ARCHIVED"
    assert archived_hub["Workflow"] == {"Status": "SUPPRESSED"}
    assert archived_hub["Note"]["Text"] == "approved change CHG-1182"
    assert archived_hub["Note"]["UpdatedBy"] == "ana"
    assert hub[judged.finding_id]["RecordState"] == "ACTIVE"
    assert hub[judged.finding_id]["Workflow"] == {"Status": "NEW"}
    assert hub[judged.finding_id]["Note"]["Text"] == "CHG-1182 was never run"
    assert hub[judged.finding_id]["Note"]["UpdatedBy"] == "bo"
    assert "Workflow" not in hub[other.finding_id]  # nobody decided: left to the console
    # One update per decision, in the finding's own account (through the role), none after.
    assert [account for account, _ in archive_calls + unarchive_calls] == [MEMBER, MEMBER]
    assert updates_since(mark) == [] and rejects(lake) == []


def test_a_decision_security_hub_refuses_is_kept_in_export_rejects(
    hub_endpoint: str, aws_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.securityhub.models import SecurityHubBackend

    def refuse(self: Any, request: dict[str, Any]) -> Any:
        failure = {"ErrorCode": "InvalidInput", "ErrorMessage": "Invalid Input"}
        return [], [{"FindingIdentifier": i, **failure} for i in request["FindingIdentifiers"]]

    lake = tmp_path / "lake"
    (judged,) = store(lake, many_findings(1, first=7100))
    decide(lake, judged.finding_id, archived=True, actor="ana", reason="benign")
    monkeypatch.setattr(SecurityHubBackend, "batch_update_findings", refuse)

    stats = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE)

    # Imported, but its decision did not take: refused, listed, and the feed moves on.
    assert stats.ok and (stats.sent, stats.failed) == (0, 1)
    assert rejects(lake) == [(judged.finding_id, "BatchUpdateFindings InvalidInput: Invalid Input")]
    assert hub_findings(hub_endpoint)[judged.finding_id]["RecordState"] == "ARCHIVED"


def test_without_permission_to_update_findings_the_export_stops_and_says_which(
    hub_endpoint: str, aws_env: None, tmp_path: Path
) -> None:
    from moto.securityhub.exceptions import SecurityHubClientError
    from moto.securityhub.models import SecurityHubBackend

    def denied(self: Any, request: dict[str, Any]) -> Any:
        raise SecurityHubClientError("AccessDeniedException", "User is not authorized")

    lake = tmp_path / "lake"
    (judged,) = store(lake, many_findings(1, first=7200))
    decide(lake, judged.finding_id, archived=True, actor="ana", reason="benign")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(SecurityHubBackend, "batch_update_findings", denied)
        stopped = export_findings(
            lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE
        )
    # The permission granted, the next run sends the import again and the decision.
    later = export_findings(lake, "securityhub:us-east-1", endpoint_url=hub_endpoint, role=ROLE)

    assert stopped.error is not None and not stopped.retryable and stopped.cursor_after == 0
    assert "securityhub:BatchUpdateFindings" in stopped.error
    assert later.ok and later.sent == 1
    assert hub_findings(hub_endpoint)[judged.finding_id]["Workflow"] == {"Status": "SUPPRESSED"}
