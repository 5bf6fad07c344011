"""Syslog (RFC 5424) over TCP, TLS optional, carrying OCSF JSON or CEF, for legacy SIEMs.

`syslog://HOST:PORT` (plain TCP) or `syslog+tls://HOST:PORT[?ca=/ca.pem]`, plus `format=cef` for
ArcSight-style receivers. Messages are framed by octet counting (RFC 6587 3.4.1, the framing
RFC 5425 mandates for TLS) because a JSON or CEF message may contain newlines' escapes and grows
past the 1 KiB that newline-framed receivers guarantee. One connection per batch, half-closed after
the last frame: the receiver's close confirms it read everything (TCP syslog has no
application-level acknowledgement, so that is as far as delivery can be confirmed).
"""

from __future__ import annotations

import json
import logging
import math
import socket
import ssl
from collections.abc import Sequence
from datetime import UTC
from typing import Any
from urllib.parse import parse_qs, urlsplit

from trailguard.pipeline.export import decision, ocsf
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    SinkOptions,
    register,
)
from trailguard.pipeline.findings.attack import technique_for
from trailguard.pipeline.findings.credit import credit_of
from trailguard.pipeline.findings.store import Finding

log = logging.getLogger(__name__)

FACILITY_AUTHPRIV = 10  # security/authorization messages
SD_ID = "trailguard@32473"  # 32473: the private enterprise number reserved for examples (RFC 5612)
BOM = "\ufeff"
# alert, critical, error, warning; Critical is an attack sequence (pipeline/detect/sequences.py)
_SYSLOG_SEVERITY = {"Critical": 1, "High": 2, "Medium": 3, "Low": 4}
CEF_STRING_MAX = 1023  # the length CEF gives `reason` and the flex strings


def to_payload(finding: Finding, *, fmt: str = "json", hostname: str = "-") -> bytes:
    """One RFC 5424 message (without framing) whose MSG is the OCSF JSON or a CEF record."""
    pri = FACILITY_AUTHPRIV * 8 + _SYSLOG_SEVERITY[finding.severity_label]
    moment = ocsf.event_time(finding).astimezone(UTC)
    timestamp = moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    header = f"<{pri}>1 {timestamp} {_header_field(hostname, 255)} trailguard - FINDING"
    if fmt == "cef":
        # CEF receivers match the record by its start (`^CEF:`), and the CEF spec defines the
        # record as UTF-8 without a BOM: the message goes as MSG-ANY (RFC 5424 6.4), which may
        # be any octets, UTF-8 included.
        body = to_cef(finding)
    else:
        # RFC 5424 6.4: a UTF-8 MSG starts with a BOM; pure ASCII is MSG-ANY and needs none.
        message = _json(finding)
        body = message if message.isascii() else BOM + message
    return f"{header} {structured_data(finding)} {body}".encode()


def frame(message: bytes) -> bytes:
    """Octet-counting framing: `<length> <message>`."""
    return b"%d " % len(message) + message


def _json(finding: Finding) -> str:
    return json.dumps(ocsf.to_payload(finding), separators=(",", ":"), sort_keys=True)


def structured_data(finding: Finding) -> str:
    """The `[trailguard@32473 ...]` element: what a receiver can filter on without parsing MSG."""
    params = {
        "uid": finding.finding_id,
        "version": str(finding.version),
        "revision": str(finding.revision),
        "type": finding.type,
        "severity": f"{finding.severity:.1f}",
        "principal": finding.principal,
        "count": str(finding.event_count),
        "status": finding.status,  # active | archived
    }
    body = " ".join(f'{name}="{_sd_escape(value)}"' for name, value in params.items())
    return f"[{SD_ID} {body}]"


def _sd_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _header_field(value: str, limit: int) -> str:
    cleaned = "".join(c for c in value if 33 <= ord(c) <= 126)[:limit]
    return cleaned or "-"


def to_cef(finding: Finding) -> str:
    """The finding as an ArcSight CEF:0 record."""
    header = [
        "CEF:0",
        "trailguard",
        "trailguard",
        ocsf.product_version(),
        finding.type,
        finding.title,
        str(math.floor(finding.severity + 0.5)),  # CEF 0-10; GuardDuty's 1.0-8.9 fits as is
    ]
    extension = cef_extension(finding)
    ext = " ".join(f"{key}={_cef_value(value)}" for key, value in extension.items() if value != "")
    return "|".join(_cef_header(h) for h in header) + "|" + ext


def cef_extension(finding: Finding) -> dict[str, Any]:
    """CEF extension keys: standard ones, then labelled custom strings and numbers."""
    technique = technique_for(finding.type)
    extension: dict[str, Any] = {
        "externalId": finding.finding_id,
        "rt": ocsf.epoch_ms(ocsf.event_time(finding)),
        "start": ocsf.epoch_ms(finding.first_seen),
        "end": ocsf.epoch_ms(finding.last_seen),
        "cnt": finding.event_count,
        "suser": finding.principal,
        "msg": finding.description,
        "cat": finding.type.split(":", 1)[0],
        "cn1Label": "findingVersion",
        "cn1": finding.version,
        "cfp1Label": "guardDutySeverity",
        "cfp1": finding.severity,
        "cs1Label": "detector",
        "cs1": finding.detector,
        "cs2Label": "accountId",
        "cs2": finding.account_id or "",
        "cs3Label": "region",
        "cs3": finding.region or "",
        "cs4Label": "mitreTactic",
        "cs4": technique.tactic_uid if technique else "",
        "cs5Label": "mitreTechnique",
        "cs5": (technique.sub_technique_uid or technique.technique_uid or "") if technique else "",
    }
    credit = credit_of(finding.evidence)
    if credit:  # a Sigma rule's match: its id and author go wherever it goes (DRL 1.1)
        extension |= {"cs6Label": "sigmaRule", "cs6": credit.line()}
    return extension | cef_status(finding)


def cef_status(finding: Finding) -> dict[str, Any]:
    """The finding's status and, once someone decided it, who, why (CEF's own `reason` key)
    and when. cs1-cs6 are taken, so the labelled flex fields carry them."""
    fields: dict[str, Any] = {"flexString1Label": "findingStatus", "flexString1": finding.status}
    decided = decision.decision_of(finding)
    if decided is not None:
        fields |= {
            "flexString2Label": "statusBy",
            "flexString2": decided.by[:CEF_STRING_MAX],
            "reason": decided.reason[:CEF_STRING_MAX],
        }
        if decided.at is not None:
            fields |= {"flexDate1Label": "statusAt", "flexDate1": ocsf.epoch_ms(decided.at)}
    return fields


def _cef_header(value: str) -> str:
    return value.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def _cef_value(value: Any) -> str:
    text = str(value).replace("\\", "\\\\").replace("=", "\\=")
    return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


class SyslogSink:
    """RFC 5424 over TCP (optionally TLS), octet-counted, one connection per batch."""

    def __init__(self, destination: str, options: SinkOptions) -> None:
        url = urlsplit(destination)
        if url.scheme not in ("syslog", "syslog+tls") or not url.hostname or not url.port:
            raise ValueError("syslog destination must be syslog://HOST:PORT or syslog+tls://…")
        query = parse_qs(url.query)
        self.fmt = query.get("format", ["json"])[0]
        if self.fmt not in ("json", "cef"):
            raise ValueError(f"syslog format must be json or cef, not {self.fmt!r}")
        self.host, self.port = url.hostname, url.port
        self.timeout = options.timeout
        self.name = f"{url.scheme}://{url.hostname}:{url.port}?format={self.fmt}"
        self.secrets: tuple[str, ...] = ()
        self._context: ssl.SSLContext | None = None
        if url.scheme == "syslog+tls":
            self._context = ssl.create_default_context(cafile=query.get("ca", [None])[0])
        self.hostname = socket.gethostname()

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """Send the batch's frames on one connection and wait for the receiver's close."""
        data = b"".join(
            frame(to_payload(f, fmt=self.fmt, hostname=self.hostname)) for f in findings
        )
        send_frames(self.host, self.port, data, self.timeout, self._context, self.name)
        return []


def send_frames(
    host: str, port: int, data: bytes, timeout: float, context: ssl.SSLContext | None, name: str
) -> None:
    """Write `data` on a new TCP (TLS) connection, half-close, and wait for the peer's close."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as raw:
            sock = context.wrap_socket(raw, server_hostname=host) if context else raw
            sock.sendall(data)
            _finish(sock)
    except ssl.SSLCertVerificationError as exc:
        raise DestinationRejected(
            f"{name}: TLS certificate not trusted ({exc.verify_message}); add ?ca=PATH"
        ) from None
    except OSError as exc:
        raise DestinationUnavailable(f"{name}: {type(exc).__name__}: {exc}") from None


def _finish(sock: socket.socket) -> None:
    try:
        if isinstance(sock, ssl.SSLSocket):
            _tls_close(sock)
        else:
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):
                pass
    except TimeoutError:
        # The data is written; a receiver that keeps the connection open is not a failure.
        log.debug("syslog receiver did not close the connection; data was written")


def _tls_close(sock: ssl.SSLSocket) -> None:
    try:
        sock.unwrap()  # close_notify both ways: the peer read up to the end of our data
    except ssl.SSLError as exc:
        # Receivers often close without their own close_notify; ours was sent after the data.
        log.debug("syslog receiver closed TLS without close_notify: %s", exc.reason)


@register("syslog", "syslog+tls")
def open_syslog(destination: str, options: SinkOptions) -> SyslogSink:
    """The sink of `syslog://HOST:PORT` and `syslog+tls://HOST:PORT`."""
    return SyslogSink(destination, options)
