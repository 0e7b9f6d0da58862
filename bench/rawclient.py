"""A minimal WebSocket client for the conns workload: connect, upgrade, log in, then stay idle.

Opening a connection through picows' ``ws_connect`` costs the load generator 300–500 µs of CPU,
as much as a server spends accepting and logging it in, so the load generator could not drive
a server at full speed. This client is a plain asyncio Protocol: it writes a prebuilt upgrade
request, then the protocol's login frames, and parses only what it must: the 101 response,
the answers it waits for, and the server's pings, which it answers with pongs (openrtm drops
connections that stay silent, docs/protocol.md §1). Client frames are masked with a zero key
(RFC 6455 §5.3 asks for an unpredictable key to protect proxies; there is none on loopback).
"""

from __future__ import annotations

import asyncio
import base64
import os
import struct
from collections.abc import Sequence
from typing import cast

from bench.common import HOST

__all__ = ["LoginStep", "RawConn", "open_raw", "text_frame"]

# (frame to send or None, answer prefixes to wait for, the prefix that means success)
LoginStep = tuple[bytes | None, tuple[bytes, ...], bytes]

_FIN_TEXT, _FIN_PONG = 0x81, 0x8A
_OP_TEXT, _OP_CLOSE, _OP_PING = 0x1, 0x8, 0x9
_ZERO_MASK = b"\0\0\0\0"


def _masked(first: int, payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        header = struct.pack("!BB", first, 0x80 | size)
    elif size < 65536:
        header = struct.pack("!BBH", first, 0x80 | 126, size)
    else:
        header = struct.pack("!BBQ", first, 0x80 | 127, size)
    return header + _ZERO_MASK + payload  # XOR with a zero key leaves the payload as it is


def text_frame(payload: bytes) -> bytes:
    """A masked client text frame."""
    return _masked(_FIN_TEXT, payload)


def _upgrade_request(port: int, path: str) -> bytes:
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


class RawConn(asyncio.Protocol):
    """One idle client connection; ``ready`` resolves once it is logged in."""

    def __init__(self, request: bytes, steps: Sequence[LoginStep]) -> None:
        self._request = request
        self._steps = list(steps)
        self._buffer = bytearray()
        self._upgraded = False
        self._transport: asyncio.Transport | None = None
        self.closed = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # (uvloop's transports do not subclass asyncio.Transport, hence the cast.)
        self._transport = cast(asyncio.Transport, transport)
        self._transport.write(self._request)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail("connection closed")

    def _fail(self, why: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError(why))

    def _next_step(self) -> None:
        """Send the frame of the next login step, or report success when none is left."""
        assert self._transport is not None
        if not self._steps:
            if not self.ready.done():
                self.ready.set_result(None)
            return
        frame, prefixes, success = self._steps[0]
        if frame is not None:
            self._transport.write(text_frame(frame))
            self._steps[0] = (None, prefixes, success)

    def data_received(self, data: bytes) -> None:
        buf = self._buffer
        buf += data
        if not self._upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self._fail(f"upgrade refused: {bytes(buf[:40])!r}")
                return
            del buf[: end + 4]
            self._upgraded = True
            self._next_step()
        while len(buf) >= 2:
            size, start = buf[1] & 0x7F, 2
            if size == 126:
                if len(buf) < 4:
                    return
                size, start = int.from_bytes(buf[2:4], "big"), 4
            elif size == 127:
                if len(buf) < 10:
                    return
                size, start = int.from_bytes(buf[2:10], "big"), 10
            if len(buf) < start + size:
                return
            self._frame(buf[0] & 0x0F, bytes(buf[start : start + size]))
            del buf[: start + size]

    def _frame(self, opcode: int, payload: bytes) -> None:
        transport = self._transport
        assert transport is not None
        if opcode == _OP_PING:
            transport.write(_masked(_FIN_PONG, payload))
        elif opcode == _OP_CLOSE:
            transport.close()
        elif opcode == _OP_TEXT:
            if payload == b"2":  # Engine.IO ping: pong
                transport.write(text_frame(b"3"))
            elif self._steps and payload.startswith(self._steps[0][1]):
                if not payload.startswith(self._steps[0][2]):
                    self._fail(f"login refused: {payload[:200]!r}")
                    return
                self._steps.pop(0)
                self._next_step()

    def disconnect(self) -> None:
        if self._transport is not None and not self.closed:
            self._transport.abort()


async def open_raw(port: int, path: str, steps: Sequence[LoginStep], timeout: float) -> RawConn:
    """Connect to 127.0.0.1:``port``, upgrade on ``path``, and run the login ``steps``."""
    loop = asyncio.get_running_loop()
    request = _upgrade_request(port, path)
    conn: RawConn | None = None
    try:
        async with asyncio.timeout(timeout):
            _, conn = await loop.create_connection(lambda: RawConn(request, steps), HOST, port)
            await conn.ready
    except (OSError, TimeoutError) as exc:
        if conn is not None:
            conn.disconnect()
        raise ConnectionError(f"{path}: {exc!r}") from None
    return conn
