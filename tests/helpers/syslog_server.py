"""A loopback syslog receiver: TCP (optionally TLS), octet-counted frames, RFC 5424 parsing."""

from __future__ import annotations

import re
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>(?P<version>1) (?P<timestamp>\S+) (?P<hostname>\S{1,255}) "
    r"(?P<app_name>\S{1,48}) (?P<procid>\S{1,128}) (?P<msgid>\S{1,32}) "
    r"(?P<sd>-|(?:\[(?:[^\]\\]|\\.)*\])+)(?: (?P<msg>.*))?$",
    re.DOTALL,
)
_SD_ELEMENT = re.compile(r"\[(?P<id>[^ \]=\"]+)(?P<params>(?: [^ =\]\"]+=\"(?:[^\"\\]|\\.)*\")*)\]")
_SD_PARAM = re.compile(r" (?P<name>[^ =\]\"]+)=\"(?P<value>(?:[^\"\\]|\\.)*)\"")
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})$")


def parse_frames(data: bytes) -> list[bytes]:
    """Split octet-counted frames (`<len> <msg>`); raise on a malformed stream."""
    frames, position = [], 0
    while position < len(data):
        space = data.index(b" ", position)
        length = int(data[position:space])
        frames.append(data[space + 1 : space + 1 + length])
        position = space + 1 + length
        if position > len(data):
            raise ValueError("truncated frame")
    return frames


def parse_rfc5424(message: bytes) -> dict[str, Any]:
    """The fields of an RFC 5424 message, structured data as {sd-id: {name: value}}."""
    text = message.decode("utf-8")
    match = RFC5424.match(text)
    if not match:
        raise ValueError(f"not RFC 5424: {text[:120]!r}")
    fields: dict[str, Any] = match.groupdict()
    if not _TIMESTAMP.match(fields["timestamp"]):
        raise ValueError(f"bad RFC 5424 timestamp {fields['timestamp']!r}")
    fields["structured_data"] = {
        element["id"]: {
            p["name"]: re.sub(r"\\(.)", r"\1", p["value"])
            for p in _SD_PARAM.finditer(element["params"])
        }
        for element in _SD_ELEMENT.finditer(fields["sd"])
    }
    msg = fields["msg"] or ""
    fields["bom"] = msg.startswith("\ufeff")
    fields["msg"] = msg.removeprefix("\ufeff")
    return fields


@dataclass
class SyslogState:
    """Messages received (parsed), connections seen."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    resets: int = 0  # this many next connections are reset after their first read (a crash)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _reset(conn: socket.socket) -> None:
    conn.recv(16)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # linger 0: an RST, as a receiver that crashed mid-batch sends


def _serve_connection(conn: socket.socket, state: SyslogState) -> None:
    with state.lock:
        crash = state.resets > 0
        state.resets -= crash
    if crash:
        return _reset(conn)
    chunks = []
    with conn:
        conn.settimeout(5)
        while chunk := conn.recv(65536):
            chunks.append(chunk)
        parsed = [parse_rfc5424(frame) for frame in parse_frames(b"".join(chunks))]
        with state.lock:  # recorded before the close that tells the sender it was read
            state.connections += 1
            state.messages.extend(parsed)
        if isinstance(conn, ssl.SSLSocket):
            with suppress(ssl.SSLError, OSError):
                conn.unwrap()


@contextmanager
def syslog_server(
    state: SyslogState, *, port: int = 0, tls: ssl.SSLContext | None = None
) -> Iterator[int]:
    """Listen on 127.0.0.1 (`port` 0: any free one), TLS if given a context; yield the port."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept_loop() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            try:
                conn = tls.wrap_socket(conn, server_side=True) if tls else conn
            except (ssl.SSLError, OSError):
                conn.close()  # the client refused our certificate
                continue
            threading.Thread(target=_serve_connection, args=(conn, state), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()
