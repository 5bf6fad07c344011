"""Turn one call into one CloudTrail record, field for field as CloudTrail writes it."""

from __future__ import annotations

import random
import time
from typing import Any

from trailguard.pipeline.synth.catalog import Api, api, host_header, iam_action
from trailguard.pipeline.synth.identities import Identity

Record = dict[str, Any]
Error = tuple[str, str]

# eventVersion per service: CloudTrail bumps it per service, so one trail mixes several.
_VERSIONS = ("1.08", "1.09", "1.10", "1.11")
_TLS = (
    {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"},
    {"tlsVersion": "TLSv1.2", "cipherSuite": "ECDHE-RSA-AES128-GCM-SHA256"},
)
_EC2_DENIED = "Client.UnauthorizedOperation"
_EXCEPTION_STYLE = (
    "lambda.",
    "secretsmanager.",
    "ssm.",
    "kms.",
    "guardduty.",
    "logs.",
    "ecr.",
    "ecs.",
    "dynamodb.",
    "access-analyzer.",
    "cloudtrail.",
    "organizations.",
    "config.",
    "athena.",
    "glue.",
    "ce.",
    "budgets.",
    "support.",
    "compute-optimizer.",
    "cloudshell.",
    "backup.",
    "fis.",
    "acm.",
    "securityhub.",
    "health.",
)


def event_version(source: str) -> str:
    """The eventVersion a service writes today (stable per service, 1.08-1.11)."""
    version = _VERSION_OF.get(source)
    if version is None:
        version = _VERSION_OF[source] = _VERSIONS[sum(source.encode()) % len(_VERSIONS)]
    return version


_VERSION_OF: dict[str, str] = {}
_TLS_OF: dict[tuple[Api, str, bool], dict[str, str]] = {}
_MINUTES: dict[int, str] = {}
_VARIANT = {c: "89ab"[int(c, 16) & 3] for c in "0123456789abcdef"}
_ID_BATCH = 4096


def event_time(t: float) -> str:
    """``eventTime`` of epoch ``t`` (formatting cached per minute: it runs once per record)."""
    seconds = int(t)
    minute = seconds // 60
    prefix = _MINUTES.get(minute)
    if prefix is None:
        prefix = _MINUTES[minute] = time.strftime("%Y-%m-%dT%H:%M:", time.gmtime(minute * 60))
    return f"{prefix}{seconds % 60:02d}Z"


def _tls(entry: Api, region: str, legacy: bool) -> dict[str, str]:
    """Shared, never mutated ``tlsDetails`` of a call to ``entry``'s endpoint in ``region``."""
    tls = _TLS_OF.get((entry, region, legacy))
    if tls is None:
        tls = {**_TLS[legacy], "clientProvidedHostHeader": host_header(entry, region)}
        _TLS_OF[(entry, region, legacy)] = tls
    return tls


def denied(ident: Identity, name: str, resource: str = "*") -> Error:
    """The AccessDenied a call of ``name`` gets, worded as the service words it."""
    entry = api(name)
    action = iam_action(entry)
    who = ident.arn or f"arn:aws:iam::{ident.account_id}:root"
    why = f"User: {who} is not authorized to perform: {action}"
    if entry.source == "ec2.amazonaws.com":
        return _EC2_DENIED, f"You are not authorized to perform this operation. {why}"
    if entry.source == "s3.amazonaws.com":
        return "AccessDenied", "Access Denied"
    message = (
        f"{why} on resource: {resource} because no identity-based policy allows the {action} action"
    )
    code = "AccessDeniedException" if entry.source.startswith(_EXCEPTION_STYLE) else "AccessDenied"
    return code, message


class RecordFactory:
    """Builds records; every random id comes from the factory's own ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self._hex = ""
        self._at = 0

    def uuid(self) -> str:
        """A version-4 UUID; random bits are drawn in batches (one per record adds up)."""
        if self._at >= len(self._hex):
            self._hex, self._at = self.rng.randbytes(16 * _ID_BATCH).hex(), 0
        h, self._at = self._hex[self._at : self._at + 32], self._at + 32
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:]}"

    def call(
        self,
        ident: Identity,
        name: str,
        t: float,
        region: str,
        ip: str,
        ua: str,
        *,
        req: dict[str, Any] | None = None,
        resp: dict[str, Any] | None = None,
        error: Error | None = None,
        resources: list[dict[str, str]] | None = None,
        additional: dict[str, Any] | None = None,
        console: bool = False,
        source: str | None = None,
    ) -> Record:
        """One ``AwsApiCall`` record of ``ident`` calling ``name`` at epoch ``t``."""
        entry = api(name, source)
        region = "us-east-1" if entry.is_global else region
        rec: Record = {
            "eventVersion": event_version(entry.source),
            "userIdentity": ident.user_identity(t, console=console),
            "eventTime": event_time(t),
            "eventSource": entry.source,
            "eventName": entry.name,
            "awsRegion": region,
            "sourceIPAddress": ip,
            "userAgent": ua,
        }
        if error is not None:
            rec["errorCode"], rec["errorMessage"] = error
            resp = None
        rec["requestParameters"] = req
        rec["responseElements"] = resp
        if additional is None and entry.source == "s3.amazonaws.com":
            additional = self._s3_extra(entry.name)
        if additional is not None:
            rec["additionalEventData"] = additional
        self._tail(rec, entry, ident, ip, resources, console)
        return rec

    def _s3_extra(self, name: str) -> dict[str, Any]:
        """What S3 adds to every call: signature, cipher and, for objects, bytes moved."""
        moved = int(self.rng.lognormvariate(9, 2)) if name in ("GetObject", "PutObject") else 0
        return {
            "SignatureVersion": "SigV4",
            "CipherSuite": "TLS_AES_128_GCM_SHA256",
            "bytesTransferredIn": moved if name == "PutObject" else 0,
            "AuthenticationMethod": "AuthHeader",
            "bytesTransferredOut": moved if name == "GetObject" else 0,
        }

    def _tail(
        self,
        rec: Record,
        entry: Api,
        ident: Identity,
        ip: str,
        resources: list[dict[str, str]] | None,
        console: bool,
    ) -> None:
        rng = self.rng
        if entry.source == "s3.amazonaws.com":
            rec["requestID"] = "%016X" % rng.getrandbits(64)
        else:
            rec["requestID"] = self.uuid()
        rec["eventID"] = self.uuid()
        rec["readOnly"] = entry.read_only
        if resources is not None:
            rec["resources"] = resources
        rec["eventType"] = "AwsApiCall"
        rec["managementEvent"] = not entry.data_event
        rec["recipientAccountId"] = ident.recipient or ident.account_id
        rec["eventCategory"] = "Data" if entry.data_event else "Management"
        if ip[:1].isdigit() or ":" in ip:
            rec["tlsDetails"] = _tls(entry, rec["awsRegion"], rng.random() < 0.2)
        if console:
            rec["sessionCredentialFromConsole"] = "true"

    def console_login(
        self, ident: Identity, t: float, ip: str, ua: str, *, mfa: bool, success: bool = True
    ) -> Record:
        """An ``AwsConsoleSignIn`` record: a person (or root) signing in to the console."""
        extra: dict[str, Any] = {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "Yes" if mfa else "No",
        }
        if mfa and ident.kind in ("iam_user", "root"):
            device = "root-account-mfa-device" if ident.kind == "root" else ident.name
            extra["MFAIdentifier"] = f"arn:aws:iam::{ident.account_id}:mfa/{device}"
        rec = self.call(
            ident,
            "ConsoleLogin",
            t,
            "us-east-1",
            ip,
            ua,
            additional=extra,
            resp={"ConsoleLogin": "Success" if success else "Failure"},
        )
        if ident.kind in ("iam_user", "root"):  # a password sign-in: no key, no session yet
            ui = dict(ident.user_identity(t))
            ui.pop("sessionContext", None)
            ui["accessKeyId"] = ""
            rec["userIdentity"] = ui
        if not success:
            rec["errorMessage"] = "Failed authentication"
        rec["readOnly"] = False
        rec["eventType"] = "AwsConsoleSignIn"
        rec.pop("sessionCredentialFromConsole", None)
        return rec
