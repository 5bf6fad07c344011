"""Splunk HTTP Event Collector: OCSF findings as batched HEC events, with indexer acknowledgement.

`hec:https://splunk.example.com:8088[/services/collector/event][?index=security&ca=/ca.pem]`; the
token comes from `TRAILGUARD_HEC_TOKEN`, never from the command line, and travels only in the
`Authorization: Splunk <token>` header. Each batch is one POST of newline-separated events. When
the collector has acknowledgement on, its answer carries an `ackId`: the batch counts as delivered
only once `/services/collector/ack` says it was indexed (Splunk's at-least-once protocol).
"""

from __future__ import annotations

import http.client
import ipaddress
import logging
import ssl
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

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
        self._context = _tls_context(query.get("ca", [None])[0]) if url.scheme == "https" else None
        if url.scheme == "http" and not _is_loopback(url.hostname):
            log.warning("%s: plain http sends the HEC token unencrypted; use https", self.name)

    def send(self, findings: Sequence[Finding]) -> list[Rejection]:
        """POST the batch; wait for its acknowledgement when the collector gives an ackId."""
        body = encode_batch([to_payload(f, index=self.index) for f in findings])
        answer = self._post(self.path, body)
        ack_id = answer.get("ackId")
        if ack_id is not None:
            self._wait_for_ack(int(ack_id))
        return []

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

    def _post(self, path: str, body: bytes) -> dict[str, Any]:
        headers = {
            "Authorization": f"Splunk {self._token}",
            "X-Splunk-Request-Channel": self.channel,
            "Content-Type": "application/json",
        }
        status, text = post(self.url, path, body, headers, self.timeout, self._context, self.name)
        return check_answer(status, text, self.name)


def post(
    url: Any,
    path: str,
    body: bytes,
    headers: dict[str, str],
    timeout: float,
    context: ssl.SSLContext | None,
    name: str,
) -> tuple[int, bytes]:
    """(status, body) of one POST; network failures are DestinationUnavailable."""
    if url.scheme == "https":
        conn: http.client.HTTPConnection = http.client.HTTPSConnection(
            url.hostname, url.port, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    except ssl.SSLCertVerificationError as exc:
        raise DestinationRejected(
            f"{name}: TLS certificate not trusted ({exc.verify_message}); add ?ca=PATH"
        ) from None
    except (OSError, http.client.HTTPException) as exc:
        raise DestinationUnavailable(f"{name}: {type(exc).__name__}: {exc}") from None
    finally:
        conn.close()


def check_answer(status: int, text: bytes, name: str) -> dict[str, Any]:
    """The collector's JSON answer, or the delivery error its status means."""
    try:
        answer = orjson.loads(text) if text else {}
    except orjson.JSONDecodeError:
        answer = {"text": text[:200].decode("utf-8", "replace")}
    if not isinstance(answer, dict):
        answer = {"text": str(answer)[:200]}
    if 200 <= status < 300:
        return answer
    detail = f"{name}: HTTP {status} {answer.get('text', '')} (code {answer.get('code', '-')})"
    if status >= 500 or status in _RETRYABLE:
        raise DestinationUnavailable(detail)
    raise DestinationRejected(detail)


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
