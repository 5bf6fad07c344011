"""AWS Security Hub: findings as ASFF through `BatchImportFindings`, at most 100 per call.

`securityhub` (the session's region) or `securityhub:REGION[?account=ID]`. Findings are imported
as the default product of the finding's own account (`product/<account>/default`), and AWS takes
such a finding only from that account: "the identifier of the account that you are calling
BatchImportFindings from needs to be the same as the AwsAccountId attribute for the finding"
(BatchImportFindings API reference; only an allow-listed partner product may import for other
accounts, and a delegated administrator gets no such right). So the findings of an organisation's
other accounts are imported through a role assumed in each of them (`SinkOptions.role`:
`arn:aws:iam::{account}:role/NAME` or a role name; `--securityhub-role`), one session per account
cached until shortly before its credentials expire. Without a role, a batch holding another
account's finding stops the export before anything is sent, cursor unmoved, saying which accounts
need it. A finding Security Hub refuses on its own (FailedFindings) is a rejection with AWS's
ErrorCode and ErrorMessage, logged and kept in `export_rejects`. The payload itself, ASFF, is
pipeline/export/asff.py.

An analyst's decision (`trailguard archive` / `unarchive`, or a suppression rule) is the customer's
side of a finding: after a batch is imported, the findings someone decided get their Workflow
status and a Note through BatchUpdateFindings in the same account (pipeline/export/decision.py),
since BatchImportFindings cannot change Workflow or Note once a finding exists. A finding that
BatchUpdateFindings does not process is a rejection too, its reason prefixed
`BatchUpdateFindings`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from botocore.exceptions import BotoCoreError, ClientError

from trailguard.pipeline.export import decision
from trailguard.pipeline.export.asff import default_product_arn, to_payload
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    SinkOptions,
    aws_client,
    register,
)
from trailguard.pipeline.findings.store import Finding

MAX_BATCH = 100  # BatchImportFindings' limit
_RETRYABLE_CODES = {"InternalException", "InternalError", "ThrottlingException", "LimitExceeded"}
# BatchUpdateFindings' own codes worth another run: a concurrent update (AWS names calling it
# right after BatchImportFindings as a cause), an internal failure, and a finding just imported
# that the update does not see yet. The import is idempotent, so the whole batch is sent again.
_RETRYABLE_UPDATE_CODES = {"ConcurrentUpdateError", "InternalFailure", "FindingNotFound"}
ROLE_SESSION_NAME = "trailguard-securityhub-export"
_RENEW_BEFORE = timedelta(minutes=5)  # assume again before a session's credentials expire


def role_arn(pattern: str, account: str, partition: str = "aws") -> str:
    """The role to assume in `account`: `pattern` with `{account}` filled in, or a role name."""
    if pattern.startswith("arn:"):
        return pattern.replace("{account}", account)
    return f"arn:{partition}:iam::{account}:role/{pattern.strip('/')}"


def check_role_pattern(pattern: str) -> None:
    """Refuse a role ARN that would name the same role whatever the account."""
    if pattern.startswith("arn:") and "{account}" not in pattern:
        raise ValueError(
            f"Security Hub role {pattern!r} must contain {{account}} "
            "(arn:aws:iam::{account}:role/NAME), or be a role name"
        )


@dataclass(frozen=True)
class _Session:
    """A Security Hub client acting as one account, and when its credentials expire."""

    client: Any
    expires: datetime | None  # None: the caller's own credentials, renewed by botocore


class SecurityHubSink:
    """BatchImportFindings as each finding's own account: the caller's, or a role assumed."""

    def __init__(self, destination: str, options: SinkOptions) -> None:
        rest = destination.split(":", 1)[1] if ":" in destination else ""
        url = urlsplit(f"//{rest}")
        if options.role:
            check_role_pattern(options.role)
        self.options = options
        self.client = aws_client("securityhub", options, region=url.hostname)
        self.region: str = self.client.meta.region_name
        self.partition = "aws-cn" if self.region.startswith("cn-") else "aws"
        self.account = parse_qs(url.query).get("account", [None])[0]
        self.name = f"securityhub:{self.region}"
        self._sts: Any = None
        self._sessions: dict[str, _Session] = {}
        self.secrets: tuple[str, ...] = ()

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """Import the batch account by account, in calls of at most 100; return the findings
        refused one by one."""
        caller = self.account or self._caller_account()
        by_account: dict[str, list[Finding]] = {}
        for finding in findings:
            by_account.setdefault(finding.account_id or caller, []).append(finding)
        self._refuse_without_role(set(by_account) - {caller}, caller)
        rejected: list[Rejection] = []
        for account, group in by_account.items():
            client = self._client_for(account, caller)
            for start in range(0, len(group), MAX_BATCH):
                chunk = group[start : start + MAX_BATCH]
                payloads = [
                    to_payload(f, account_id=account, region=self.region, partition=self.partition)
                    for f in chunk
                ]
                name = f"{self.name} (account {account})"
                refused = send_batch(client, payloads, chunk, name)
                taken = {r.finding_id for r in refused}
                imported = [f for f in chunk if f.finding_id not in taken]
                arn = default_product_arn(self.partition, self.region, account)
                rejected += refused + send_workflow(client, imported, arn, name)
        return rejected

    def _refuse_without_role(self, others: set[str], caller: str) -> None:
        """Stop before sending anything when another account's findings have no way in."""
        if others and not self.options.role:
            raise DestinationRejected(
                f"{self.name}: findings of account(s) {', '.join(sorted(others))} cannot be "
                f"imported from account {caller}: Security Hub takes a finding of the default "
                "product only from the finding's own account. Set --securityhub-role "
                "(TRAILGUARD_SECURITYHUB_ROLE) to a role trailguard may assume in each account, "
                "e.g. arn:aws:iam::{account}:role/TrailguardSecurityHubImport; nothing was sent"
            )

    def _client_for(self, account: str, caller: str) -> Any:
        """The caller's client for its own account, else a cached session of the role."""
        if account == caller:
            return self.client
        cached = self._sessions.get(account)
        if cached is None or (
            cached.expires is not None and cached.expires - _RENEW_BEFORE <= datetime.now(UTC)
        ):
            cached = self._assume(account)
            self._sessions[account] = cached
        return cached.client

    def _assume(self, account: str) -> _Session:
        assert self.options.role is not None
        arn = role_arn(self.options.role, account, self.partition)
        answer = _call(
            lambda: self._sts_client().assume_role(RoleArn=arn, RoleSessionName=ROLE_SESSION_NAME),
            f"{self.name}: assuming {arn} for account {account}",
        )
        credentials = answer["Credentials"]
        client = aws_client("securityhub", self.options, self.region, credentials)
        expires = credentials.get("Expiration")
        return _Session(client, expires if isinstance(expires, datetime) else None)

    def _sts_client(self) -> Any:
        if self._sts is None:  # made once: a retry should not pay for a new client
            endpoint = self.options.endpoint_url
            if endpoint is None and self.options.client is not None:
                # A client handed in for a local server: its STS is the same server.
                local = self.client.meta.endpoint_url
                endpoint = None if "amazonaws.com" in local else local
            options = SinkOptions(timeout=self.options.timeout, endpoint_url=endpoint)
            self._sts = aws_client("sts", options, region=self.region)
        return self._sts

    def _caller_account(self) -> str:
        self.account = str(_call(self._sts_client().get_caller_identity, self.name)["Account"])
        return self.account


def send_batch(
    client: Any, payloads: list[dict[str, Any]], findings: Sequence[Finding], name: str
) -> list[Rejection]:
    """One BatchImportFindings call; a retryable per-finding error fails the whole call."""
    answer = _call(lambda: client.batch_import_findings(Findings=payloads), name)
    revisions = {f.finding_id: f.revision for f in findings}
    rejected: list[Rejection] = []
    for failure in answer.get("FailedFindings", []):
        code = failure.get("ErrorCode", "")
        if code in _RETRYABLE_CODES:
            raise DestinationUnavailable(f"{name}: {code} for finding {failure.get('Id')}")
        reason = f"{code}: {failure.get('ErrorMessage', '')}"
        rejected.append(
            Rejection(failure.get("Id", ""), revisions.get(failure.get("Id"), 0), reason)
        )
    return rejected


def send_workflow(
    client: Any, findings: Sequence[Finding], product_arn: str, name: str
) -> list[Rejection]:
    """BatchUpdateFindings for the findings someone decided (Workflow and Note); return those it
    did not process. Undecided findings cost no call."""
    revisions = {f.finding_id: f.revision for f in findings}
    rejected: list[Rejection] = []
    for request in decision.workflow_requests(findings, product_arn):
        answer = _call(
            lambda r=request: client.batch_update_findings(**r),
            f"{name}: BatchUpdateFindings",
            hint="the importing principal (or role) needs securityhub:BatchUpdateFindings",
        )
        for failure in answer.get("UnprocessedFindings", []):
            found = str(failure.get("FindingIdentifier", {}).get("Id", ""))
            code = failure.get("ErrorCode", "")
            if code in _RETRYABLE_UPDATE_CODES:
                raise DestinationUnavailable(f"{name}: BatchUpdateFindings {code} for {found}")
            reason = f"BatchUpdateFindings {code}: {failure.get('ErrorMessage', '')}"
            rejected.append(Rejection(found, revisions.get(found, 0), reason))
    return rejected


def _call(operation: Any, name: str, hint: str = "") -> Any:
    try:
        return operation()
    except ClientError as exc:
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        error = exc.response.get("Error", {})
        detail = f"{name}: {error.get('Code', 'error')} (HTTP {status}): {error.get('Message', '')}"
        if status >= 500 or status == 429 or "Throttl" in str(error.get("Code")):
            raise DestinationUnavailable(detail) from None
        if hint and (status == 403 or "AccessDenied" in str(error.get("Code"))):
            detail += f" ({hint})"
        raise DestinationRejected(detail) from None
    except BotoCoreError as exc:
        raise DestinationUnavailable(f"{name}: {type(exc).__name__}: {exc}") from None


@register("securityhub")
def open_securityhub(destination: str, options: SinkOptions) -> SecurityHubSink:
    """The sink of `securityhub[:REGION][?account=ID]`."""
    return SecurityHubSink(destination, options)
