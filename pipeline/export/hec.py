"""Splunk HTTP Event Collector: OCSF findings as batched HEC events, with indexer acknowledgement.

`hec:https://splunk.example.com:8088[/services/collector/event][?index=security&ca=/ca.pem]`; the
token comes from `TRAILGUARD_HEC_TOKEN`, never from the command line, and travels only in the
`Authorization: Splunk <token>` header. Each batch is one gzip-compressed POST of newline-separated
events, on a kept-alive connection (urllib3's pool). When the collector has acknowledgement on,
its answer carries an `ackId`: the batch counts as delivered only once `/services/collector/ack`
says it was indexed (Splunk's at-least-once protocol).

One bad event must not stop the feed: a 400 that says the data is wrong (HEC codes 5, 6, 12, 13,
15) splits the batch in halves, and again, until each refused event stands alone; those are
rejections with Splunk's text and code (kept in `export_rejects`), the rest is delivered and the
cursor moves on. A 400 about the request itself (a missing channel, a wrong index) stops the run
as any refusal does. A 429 or 503 is retried by the delivery, waiting at least its `Retry-After`.
"""

from __future__ import annotations

import gzip
import ipaddress
import logging
import ssl
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson
import urllib3

from trailguard.pipeline.export import ocsf
from trailguard.pipeline.export.base import (
    DestinationRejected,
    DestinationUnavailable,
    Rejection,
    SinkOptions,
    register,
)
from trailguard.pipeline.findings.store import Finding
from trailguard.pipeline.retry import Backoff, retrying
from trailguard.pipeline.urls import redact_url

log = logging.getLogger(__name__)

TOKEN_ENV = "TRAILGUARD_HEC_TOKEN"
SOURCETYPE = "trailguard:ocsf:detection_finding"
EVENT_PATH = "/services/collector/event"
ACK_PATH = "/services/collector/ack"
_RETRYABLE = {408, 429}
# HEC's codes for events it cannot take (no data, invalid format, event missing or blank,
# indexed fields): the batch is split to find them. Other 400s are about the request.
_BAD_DATA_CODES = {5, 6, 12, 13, 15}


class BadEvents(DestinationRejected):
    """The collector refused the data of a batch (one event or more), not the request."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def to_payload(finding: Finding, *, index: str | None = None) -> dict[str, Any]:
    """The HEC event envelope of a finding: OCSF as `event`, its time in epoch seconds."""
    event = ocsf.to_payload(finding)
    envelope: dict[str, Any] = {
        "time": event["time"] / 1000,
        "host": "trailguard",
        "source": "trailguard",
        "sourcetype": SOURCETYPE,
        "event": event,
        "fields": {
            "finding_uid": finding.finding_id,
            "finding_version": str(finding.version),
            "finding_revision": str(finding.revision),  # with the uid: the key to deduplicate on
        },
    }
    if finding.sequence_id:  # indexed, so a search can gather an attack sequence's members
        envelope["fields"]["sequence_uid"] = finding.sequence_id
    if index:
        envelope["index"] = index
    return envelope


def encode_batch(envelopes: Sequence[dict[str, Any]]) -> bytes:
    """A HEC request body: the events one after the other, newline-separated."""
    return b"\n".join(orjson.dumps(e) for e in envelopes)


class HecSink:
    """Batched POSTs to a Splunk HTTP Event Collector."""

    def __init__(self, destination: str, options: SinkOptions) -> None:
        url = urlsplit(destination.split(":", 1)[1])
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError("hec destination must be hec:https://HOST:PORT[/path]")
        token = options.env.get(TOKEN_ENV, "")
        if not token:
            raise ValueError(
                f"set {TOKEN_ENV} to the HEC token (never pass it on the command line)"
            )
        query = parse_qs(url.query)
        self.url = url
        self.index = query.get("index", [None])[0]
        self.path = url.path.rstrip("/") or EVENT_PATH
        self.timeout = options.timeout
        self.secrets = (token,)
        self._token = token
        # The index is part of the identity: two indexes fed from one lake keep two cursors.
        index = f"?index={self.index}" if self.index else ""
        self.name = redact_url(f"hec:{url.scheme}://{url.netloc}{self.path}{index}")
        self.channel = str(uuid.uuid5(uuid.NAMESPACE_URL, self.name))
        context = _tls_context(query.get("ca", [None])[0]) if url.scheme == "https" else None
        self._pool = connection_pool(url, options.timeout, context)
        if url.scheme == "http" and not _is_loopback(url.hostname):
            log.warning("%s: plain http sends the HEC token unencrypted; use https", self.name)

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """POST the batch (halves of it while the collector refuses its data); wait for each
        acknowledgement when the collector gives an ackId. Returns the events refused alone."""
        try:
            self._deliver(findings)
        except BadEvents as bad:
            if len(findings) == 1:
                finding = findings[0]  # the delivery logs it and keeps it in export_rejects
                return [Rejection(finding.finding_id, finding.revision, bad.reason)]
            half = len(findings) // 2
            return self.send(findings[:half]) + self.send(findings[half:])
        return []

    def _deliver(self, findings: Sequence[Finding]) -> None:
        body = encode_batch([to_payload(f, index=self.index) for f in findings])
        answer = self._post(self.path, gzip.compress(body, compresslevel=6), compressed=True)
        ack_id = answer.get("ackId")
        if ack_id is not None:
            self._wait_for_ack(int(ack_id))

    def _wait_for_ack(self, ack_id: int) -> None:
        """Poll the ack endpoint (every 0.05 s, doubling to 1 s) until the batch is indexed or
        `timeout` seconds have passed; a failed poll is not retried here but by the delivery."""
        polls = retrying(
            again=lambda acked: not acked,
            backoff=Backoff(first=0.05, cap=1.0),
            deadline=time.monotonic() + self.timeout,
        )
        if not polls(self._acked, ack_id):
            raise DestinationUnavailable(
                f"{self.name}: batch not acknowledged within {self.timeout}s"
            )

    def _acked(self, ack_id: int) -> bool:
        """Whether the collector says the batch of `ack_id` was indexed."""
        answer = self._post(f"{ACK_PATH}?channel={self.channel}", orjson.dumps({"acks": [ack_id]}))
        return answer.get("acks", {}).get(str(ack_id)) is True

    def _post(self, path: str, body: bytes, *, compressed: bool = False) -> dict[str, Any]:
        headers = {
            "Authorization": f"Splunk {self._token}",
            "X-Splunk-Request-Channel": self.channel,
            "Content-Type": "application/json",
        }
        if compressed:
            headers["Content-Encoding"] = "gzip"
        response = post(self._pool, path, body, headers, self.name)
        return check_answer(response.status, response.data, self.name, response.headers)


def connection_pool(
    url: Any, timeout: float, context: ssl.SSLContext | None
) -> urllib3.HTTPConnectionPool:
    """One kept-alive connection to the collector, reused by every request of the sink."""
    # Retries are the delivery's (with its backoff and Retry-After), not the pool's.
    common: dict[str, Any] = {
        "maxsize": 1,
        "block": False,
        "retries": False,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
    }
    if url.scheme == "https":
        return urllib3.HTTPSConnectionPool(url.hostname, url.port, ssl_context=context, **common)
    return urllib3.HTTPConnectionPool(url.hostname, url.port, **common)


def post(
    pool: urllib3.HTTPConnectionPool,
    path: str,
    body: bytes,
    headers: dict[str, str],
    name: str,
) -> urllib3.BaseHTTPResponse:
    """The answer to one POST; network failures are DestinationUnavailable."""
    try:
        return pool.urlopen("POST", path, body=body, headers=headers, redirect=False)
    except urllib3.exceptions.SSLError as exc:
        if "CERTIFICATE_VERIFY_FAILED" in str(exc) or "certificate verify failed" in str(exc):
            raise DestinationRejected(
                f"{name}: TLS certificate not trusted ({_verify_message(exc)}); add ?ca=PATH"
            ) from None
        raise DestinationUnavailable(f"{name}: SSLError: {exc}") from None
    except (OSError, urllib3.exceptions.HTTPError) as exc:
        raise DestinationUnavailable(f"{name}: {type(exc).__name__}: {exc}") from None


def _verify_message(exc: BaseException) -> str:
    cause: BaseException | None = exc
    while cause is not None:  # urllib3 wraps the ssl module's error
        if isinstance(cause, ssl.SSLCertVerificationError):
            return str(cause.verify_message)
        cause = cause.__cause__ or (cause.args[0] if cause.args else None)
        cause = cause if isinstance(cause, BaseException) else None
    return "certificate verify failed"


def check_answer(status: int, text: bytes, name: str, headers: Any = None) -> dict[str, Any]:
    """The collector's JSON answer, or the delivery error its status means."""
    try:
        answer = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        answer = {"text": text[:200].decode("utf-8", "replace")}
    if not isinstance(answer, dict):
        answer = {"text": str(answer)[:200]}
    if 200 <= status < 300:
        return answer
    reason = f"HTTP {status} {answer.get('text', '')} (code {answer.get('code', '-')})"
    detail = f"{name}: {reason}"
    if status >= 500 or status in _RETRYABLE:
        raise DestinationUnavailable(detail, retry_after=_retry_after(headers))
    if status == 400 and answer.get("code") in _BAD_DATA_CODES:
        raise BadEvents(detail, reason)
    raise DestinationRejected(detail)


def _retry_after(headers: Any) -> float | None:
    """Seconds of a `Retry-After` header (its delay-seconds form; a date is ignored)."""
    value = headers.get("Retry-After") if headers is not None else None
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _tls_context(cafile: str | None) -> ssl.SSLContext:
    # Verification is always on; a private CA is trusted by naming it, never by turning it off.
    return ssl.create_default_context(cafile=cafile)


@register("hec")
def open_hec(destination: str, options: SinkOptions) -> HecSink:
    """The sink of `hec:https://HOST:PORT`."""
    return HecSink(destination, options)
