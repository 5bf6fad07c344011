"""A loopback HTTP server speaking enough of Splunk's HTTP Event Collector to test against.

It checks `Authorization: Splunk <token>`, splits a request body into its concatenated JSON
events, answers as HEC does (`{"text": "Success", "code": 0}`, 401/403 with HEC's codes), hands
out `ackId`s and answers `/services/collector/ack` when acknowledgement is on, and plays injected
faults in order, one per event request: "503", "429" (both with `Retry-After: retry_after` when
set), "400", "slow" (take the events, then answer after the client gave up), "noack" (take the
events, never acknowledge them). It inflates a gzip body (`Content-Encoding: gzip`), refuses as
Splunk does (400, code 6, `invalid-event-number`) any request holding an event of a `poisoned`
finding uid, and counts the TCP connections clients opened (HTTP/1.1: kept alive).
"""

from __future__ import annotations

import gzip
import json
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class HecState:
    """What the collector received and how it should behave."""

    token: str
    ack: bool = False
    faults: list[str] = field(default_factory=list)
    slow_seconds: float = 1.0
    retry_after: str | None = None
    poisoned: set[str] = field(default_factory=set)
    connections: int = 0
    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    acked: set[int] = field(default_factory=set)
    next_ack: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def events(self) -> list[dict[str, Any]]:
        """Every event received, in order, duplicates included."""
        return [event for batch in self.batches for event in batch]


def split_events(body: bytes) -> list[dict[str, Any]]:
    """The JSON objects of a HEC body, concatenated with or without whitespace."""
    decoder = json.JSONDecoder()
    text, position, events = body.decode("utf-8"), 0, []
    while position < len(text):
        while position < len(text) and text[position].isspace():
            position += 1
        if position >= len(text):
            break
        event, position = decoder.raw_decode(text, position)
        events.append(event)
    return events


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive, as Splunk's collector

    def setup(self) -> None:
        super().setup()
        with self.server.state.lock:
            self.server.state.connections += 1

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def do_POST(self) -> None:
        state = self.server.state
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        with state.lock:
            state.requests.append({"path": self.path, "headers": dict(self.headers)})
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Splunk "):
            return self._answer(401, {"text": "Token is required", "code": 2})
        if auth != f"Splunk {state.token}":
            return self._answer(403, {"text": "Invalid token", "code": 4})
        if self.path.startswith("/services/collector/ack"):
            return self._ack(json.loads(body))
        self._events(body)

    def _events(self, body: bytes) -> None:
        state = self.server.state
        with state.lock:
            fault = state.faults.pop(0) if state.faults else "ok"
        busy = {"Retry-After": state.retry_after} if state.retry_after else {}
        if fault in ("503", "429"):
            return self._answer(int(fault), {"text": "Server is busy", "code": 9}, busy)
        if fault == "400":
            return self._answer(400, {"text": "Invalid data format", "code": 6})
        events = split_events(body)
        for number, event in enumerate(events):
            if event.get("fields", {}).get("finding_uid") in state.poisoned:
                refusal = {"text": "Invalid data format", "code": 6}
                return self._answer(400, {**refusal, "invalid-event-number": number})
        with state.lock:
            state.batches.append(events)
            ack_id = state.next_ack
            state.next_ack += 1
            if fault != "noack":
                state.acked.add(ack_id)
        if fault == "slow":
            time.sleep(state.slow_seconds)
        answer: dict[str, Any] = {"text": "Success", "code": 0}
        if state.ack:
            answer["ackId"] = ack_id
        self._answer(200, answer)

    def _ack(self, request: dict[str, Any]) -> None:
        state = self.server.state
        with state.lock:
            acks = {str(i): i in state.acked for i in request.get("acks", [])}
        self._answer(200, {"acks": acks})

    def _answer(
        self, status: int, answer: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(answer).encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a "slow" fault)
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int, state: HecState) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.state = state


@contextmanager
def hec_server(state: HecState, port: int = 0, tls: ssl.SSLContext | None = None) -> Iterator[str]:
    """Run a collector on 127.0.0.1 (`port` 0: any free one), HTTPS if given a TLS context."""
    server = _Server(port, state)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        scheme = "https" if tls else "http"
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
