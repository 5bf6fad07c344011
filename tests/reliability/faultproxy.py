"""A fault-injecting HTTP proxy in front of a local S3 server (loopback only, stdlib only).

Clients talk to the proxy as if it were S3 (`endpoint_url=proxy.url`); every request is passed
to the upstream server unchanged (Host header included, so SigV4 signatures still verify), except
those a planned fault takes: a 503 SlowDown, a connection reset, a stall longer than the client's
read timeout, a body cut short after its headers promised all of it, or a 500. Faults are planned
per request kind and key and taken in order, so what is injected does not depend on timing or on
the order concurrent requests arrive in; `injected` counts what was actually done.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

SLOWDOWN = "slowdown"  # 503 SlowDown: S3's throttling answer
RESET = "reset"  # TCP reset before any response
STALL = "stall"  # no answer for longer than the client waits
TRUNCATE = "truncate"  # headers with the full Content-Length, then half the body, then close
ERROR = "error"  # 500 InternalError
DENIED = "denied"  # 403 AccessDenied: not retried (a policy or KMS key problem)
KINDS = (SLOWDOWN, RESET, STALL, TRUNCATE, ERROR, DENIED)
FOREVER = 1 << 30

_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "proxy-connection", "upgrade"}
_S3_ERRORS = {
    SLOWDOWN: (503, "SlowDown", "Please reduce your request rate."),
    ERROR: (500, "InternalError", "We encountered an internal error. Please try again."),
    DENIED: (403, "AccessDenied", "Access Denied"),
}


@dataclass
class _Plan:
    operation: str  # "get" (GetObject), "list" (ListObjectsV2), "put", "any"
    key_contains: str
    faults: list[str]
    remaining: int
    used: int = 0


class FaultProxy:
    """A proxy to `upstream` (http://host:port) that injects planned faults; start/stop it."""

    def __init__(self, upstream: str, stall_seconds: float = 3.0) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.stall_seconds = stall_seconds
        self.injected: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._plans: list[_Plan] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.proxy = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The endpoint clients use."""
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        """Serve in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self._server.shutdown()
        self._server.server_close()

    def inject(
        self, *faults: str, operation: str = "get", key_contains: str = "", times: int = 1
    ) -> None:
        """Answer the next `times` matching requests with `faults` in turn (FOREVER: always)."""
        assert all(f in KINDS for f in faults), faults
        with self._lock:
            self._plans.append(_Plan(operation, key_contains, list(faults), times * len(faults)))

    def clear(self) -> None:
        """Drop every plan not yet used up: the store is healthy again."""
        with self._lock:
            self._plans.clear()

    def take(self, method: str, path: str) -> str | None:
        """The fault for this request, if a plan wants one (and count it)."""
        operation = _operation(method, path)
        key = unquote(urlsplit(path).path)
        with self._lock:
            self.requests[operation] += 1
            for plan in self._plans:
                if (
                    plan.remaining
                    and plan.operation in (operation, "any")
                    and plan.key_contains in key
                ):
                    fault = plan.faults[plan.used % len(plan.faults)]
                    plan.used += 1
                    plan.remaining -= 1
                    self.injected[fault] += 1
                    return fault
        return None


def _operation(method: str, path: str) -> str:
    query = urlsplit(path).query
    if method == "GET" and "list-type=2" in query:
        return "list"
    if method == "GET" and len(urlsplit(path).path.strip("/").split("/", 1)) == 2:
        return "get"
    return method.lower()


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and clients giving up after a timeout are the point, not errors


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per request
        pass

    def do_GET(self) -> None:
        self._handle()

    do_PUT = do_POST = do_DELETE = do_HEAD = do_GET

    def _handle(self) -> None:
        proxy: FaultProxy = self.server.proxy  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        fault = proxy.take(self.command, self.path)
        if fault == RESET:
            self._reset()
            return
        if fault in _S3_ERRORS:
            self._s3_error(*_S3_ERRORS[fault])
            return
        if fault == STALL:
            time.sleep(proxy.stall_seconds)
            self._reset()
            return
        status, headers, payload = self._forward(proxy.upstream, body)
        if fault == TRUNCATE and len(payload) > 1:
            self._send(status, headers, payload, cut=len(payload) // 2)
            self._reset()
            return
        self._send(status, headers, payload)

    def _forward(self, upstream: tuple[str, int], body: bytes) -> tuple[int, list[Any], bytes]:
        conn = http.client.HTTPConnection(*upstream, timeout=30)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for name, value in self.headers.items():
                if name.lower() not in _HOP_BY_HOP:
                    conn.putheader(name, value)
            conn.endheaders(body or None)
            response = conn.getresponse()
            payload = b"" if self.command == "HEAD" else response.read()
            return response.status, response.getheaders(), payload
        finally:
            conn.close()

    def _send(
        self, status: int, headers: list[Any], payload: bytes, cut: int | None = None
    ) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in _HOP_BY_HOP and name.lower() != "content-length":
                self.send_header(name, value)
        length = headers_length(headers) if self.command == "HEAD" else len(payload)
        self.send_header("Content-Length", str(length))
        self.end_headers()
        self.wfile.write(payload[:cut])
        self.wfile.flush()

    def _s3_error(self, status: int, code: str, message: str) -> None:
        xml = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
        self._send(status, [("Content-Type", "application/xml")], xml)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), as a dropped connection looks."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass

    def finish(self) -> None:
        with contextlib.suppress(OSError, ValueError):  # the socket was reset on purpose
            super().finish()


def headers_length(headers: list[Any]) -> int:
    """The Content-Length among response headers (0 when absent)."""
    for name, value in headers:
        if name.lower() == "content-length":
            return int(value)
    return 0
