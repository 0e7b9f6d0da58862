"""Load-generator clients: one picows connection class and one adapter per protocol.

A :class:`Conn` starts in *setup* mode: every frame is offered to a pending :meth:`Conn.request`
(login, join), and frames nobody waits for are kept in a short inbox. The workloads subclass it
for their *live* mode, whose ``on_ws_frame`` must do almost nothing per frame: the load
generator must not be the bottleneck.

The adapters speak each system's wire protocol directly:

- :class:`OpenRtm`: the JSON frames of ``docs/protocol.md``;
- :class:`Relay`: ``TARGET SP REST`` frames (``bench/servers/relay.py``);
- :class:`SocketIo`: Engine.IO v4 / Socket.IO v5 text packets over a WebSocket.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import deque
from typing import Any, ClassVar

from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from bench.common import HOST
from bench.rawclient import LoginStep

__all__ = ["PROTOCOLS", "Conn", "OpenRtm", "Protocol", "Relay", "SetupError", "SocketIo"]

TEXT = WSMsgType.TEXT
_INBOX = 16  # unclaimed setup frames kept per connection (e.g. socket.io's open packet)


class SetupError(RuntimeError):
    """A login, join or connect did not succeed."""


class Conn(WSListener):
    """One client connection (setup mode; workloads subclass it for their live mode)."""

    __slots__ = ("_inbox", "_match", "_waiter", "closed", "proto", "transport", "uid")

    def __init__(self, proto: Protocol, uid: str) -> None:
        self.proto = proto
        self.uid = uid
        self.transport: WSTransport | None = None
        self.closed = False
        self._inbox: deque[bytes] = deque(maxlen=_INBOX)
        self._waiter: asyncio.Future[bytes] | None = None
        self._match: Any = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.closed = True
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(SetupError(f"{self.uid}: connection closed"))

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        self.setup_frame(transport, frame)

    def setup_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        """Handle a frame outside the hot path: control packets, then pending requests."""
        if frame.msg_type is not TEXT:
            return
        data = frame.get_payload_as_bytes()
        if self.proto.control(transport, data):
            return
        waiter = self._waiter
        if waiter is not None and not waiter.done() and self._match(data):
            waiter.set_result(data)
        else:
            self._inbox.append(data)

    def send(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.send(TEXT, data)

    async def request(self, frame: bytes | None, match: Any, timeout: float) -> bytes:
        """Send ``frame`` (if any) and wait for the first frame for which ``match`` is true."""
        for data in self._inbox:
            if match(data):
                self._inbox.remove(data)
                return data
        loop = asyncio.get_running_loop()
        self._waiter = loop.create_future()
        self._match = match
        try:
            if frame is not None:
                self.send(frame)
            async with asyncio.timeout(timeout):
                return await self._waiter
        except TimeoutError:
            raise SetupError(f"{self.uid}: no answer within {timeout} s") from None
        finally:
            self._waiter = None
            self._match = None

    def disconnect(self) -> None:
        if self.transport is not None and not self.closed:
            self.transport.disconnect(graceful=False)


class Protocol:
    """What a workload needs to know about one system's wire protocol."""

    name: ClassVar[str]

    def __init__(self, port: int) -> None:
        self.port = port

    def url(self, uid: str, room: str | None) -> str:
        raise NotImplementedError

    def control(self, transport: WSTransport, data: bytes) -> bool:
        """Answer a protocol-level control frame (a keepalive ping); True if it was one."""
        return False

    async def login(self, conn: Conn, token: str | None, timeout: float) -> None:
        """Log the connection in (after the WebSocket upgrade)."""

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        """Join ``room`` (fan-out members, and the publisher where the protocol needs it)."""

    def raw_login(self, uid: str, token: str | None) -> tuple[str, list[LoginStep]]:
        """For bench/rawclient.py: the upgrade path and the login steps of ``uid``."""
        raise NotImplementedError

    def room_frame(self, seq: int, room: str, payload: bytes) -> bytes:
        """The frame that publishes ``payload`` to ``room``."""
        raise NotImplementedError

    def peer_frame(self, seq: int, sender: str, receiver: str, payload: bytes) -> bytes:
        """The frame that sends ``payload`` to ``receiver``, asking for a receipt."""
        raise NotImplementedError

    def ack_for(self, data: bytes) -> bytes | None:
        """The receiver's acknowledgement of a peer message, or None if ``data`` is not one."""
        raise NotImplementedError

    def receipt(self, data: bytes) -> bool | None:
        """For the sender: None if ``data`` is no receipt, else whether the peer received."""
        raise NotImplementedError

    async def connect(self, cls: type[Conn], uid: str, room: str | None, timeout: float) -> Any:
        """Open a WebSocket for a new ``cls(self, uid)`` connection (no login yet)."""
        try:
            async with asyncio.timeout(timeout):
                _, conn = await ws_connect(
                    lambda: cls(self, uid),
                    self.url(uid, room),
                    websocket_handshake_timeout=timeout,
                )
        except (OSError, TimeoutError) as exc:
            raise SetupError(f"{uid}: cannot connect: {exc!r}") from None
        return conn


def _json_answer(request_id: int) -> Any:
    def match(data: bytes) -> bool:
        if not data.startswith((b'{"t":"reply"', b'{"t":"error"')):
            return False
        return bool(json.loads(data).get("id") == request_id)

    return match


class OpenRtm(Protocol):
    """openrtm's JSON protocol (docs/protocol.md)."""

    name = "openrtm"
    APP_ID = "0123456789abcdef0123456789abcdef"
    _D = re.compile(rb'"d":(\d+)')

    def url(self, uid: str, room: str | None) -> str:
        return f"ws://{HOST}:{self.port}/"

    async def _call(self, conn: Conn, request: dict[str, Any], timeout: float) -> None:
        answer = json.loads(
            await conn.request(json.dumps(request).encode(), _json_answer(request["id"]), timeout)
        )
        if answer["t"] == "error":
            raise SetupError(f"{conn.uid}: {request['op']} refused: {answer}")

    def _login_request(self, uid: str, token: str | None) -> dict[str, Any]:
        return {
            "op": "login",
            "id": 1,
            "v": 1,
            "app_id": self.APP_ID,
            "uid": uid,
            "token": token,
            "sdk": "bench/1",
        }

    async def login(self, conn: Conn, token: str | None, timeout: float) -> None:
        await self._call(conn, self._login_request(conn.uid, token), timeout)

    def raw_login(self, uid: str, token: str | None) -> tuple[str, list[LoginStep]]:
        frame = json.dumps(self._login_request(uid, token)).encode()
        return "/", [(frame, (b'{"t":"reply"', b'{"t":"error"'), b'{"t":"reply"')]

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        await self._call(conn, {"op": "join", "id": 2, "channel": room}, timeout)

    def room_frame(self, seq: int, room: str, payload: bytes) -> bytes:
        return b'{"op":"channel_msg","id":%d,"channel":"%s","mid":"p%d","msg":{"text":"%s"}}' % (
            seq + 100,
            room.encode(),
            seq,
            payload,
        )

    def peer_frame(self, seq: int, sender: str, receiver: str, payload: bytes) -> bytes:
        return b'{"op":"peer_msg","id":%d,"to":"%s","mid":"%s-%d","msg":{"text":"%s"}}' % (
            seq + 100,
            receiver.encode(),
            sender.encode(),
            seq,
            payload,
        )

    def ack_for(self, data: bytes) -> bytes | None:
        if not data.startswith(b'{"t":"peer_msg"'):
            return None
        m = self._D.search(data, data.rfind(b'"d":'))
        return None if m is None else b'{"op":"ack","d":%s}' % m.group(1)

    def receipt(self, data: bytes) -> bool | None:
        if data.startswith(b'{"t":"reply"'):
            return b'"received":true' in data
        if data.startswith(b'{"t":"error"'):
            return False
        return None


class Relay(Protocol):
    """The bare relay's framing: ``TARGET SP REST``; connecting is registering."""

    name = "relay"

    def url(self, uid: str, room: str | None) -> str:
        return f"ws://{HOST}:{self.port}/{uid}" + (f"/{room}" if room else "")

    def raw_login(self, uid: str, token: str | None) -> tuple[str, list[LoginStep]]:
        return f"/{uid}", []

    def room_frame(self, seq: int, room: str, payload: bytes) -> bytes:
        return b"#%s %s" % (room.encode(), payload)

    def peer_frame(self, seq: int, sender: str, receiver: str, payload: bytes) -> bytes:
        return b"%s %s %s" % (receiver.encode(), sender.encode(), payload)

    def ack_for(self, data: bytes) -> bytes | None:
        parts = data.split(b" ", 2)
        return parts[1] + b" A" if len(parts) == 3 else None

    def receipt(self, data: bytes) -> bool | None:
        return True if data.endswith(b" A") else None


class SocketIo(Protocol):
    """Engine.IO v4 + Socket.IO v5 text packets over a WebSocket (no long-polling)."""

    name = "socketio"

    def url(self, uid: str, room: str | None) -> str:
        return f"ws://{HOST}:{self.port}/socket.io/?EIO=4&transport=websocket"

    def control(self, transport: WSTransport, data: bytes) -> bool:
        if data == b"2":  # Engine.IO ping from the server: answer pong
            transport.send(TEXT, b"3")
            return True
        return False

    async def login(self, conn: Conn, token: str | None, timeout: float) -> None:
        await conn.request(None, lambda d: d.startswith(b"0{"), timeout)  # Engine.IO open
        answer = await conn.request(
            b'40{"uid":"%s"}' % conn.uid.encode(),
            lambda d: d.startswith((b"40", b"44")),
            timeout,
        )
        if answer.startswith(b"44"):
            raise SetupError(f"{conn.uid}: connect refused: {answer!r}")

    def raw_login(self, uid: str, token: str | None) -> tuple[str, list[LoginStep]]:
        return "/socket.io/?EIO=4&transport=websocket", [
            (None, (b"0{",), b"0{"),
            (b'40{"uid":"%s"}' % uid.encode(), (b"40", b"44"), b"40"),
        ]

    async def join(self, conn: Conn, room: str, timeout: float) -> None:
        await conn.request(
            b'421["join","%s"]' % room.encode(), lambda d: d.startswith(b"431["), timeout
        )

    def room_frame(self, seq: int, room: str, payload: bytes) -> bytes:
        return b'42["pub","%s","%s"]' % (room.encode(), payload)

    def peer_frame(self, seq: int, sender: str, receiver: str, payload: bytes) -> bytes:
        return b'42%d["p2p","%s","%s"]' % (seq, receiver.encode(), payload)

    def ack_for(self, data: bytes) -> bytes | None:
        if not data.startswith(b"42"):
            return None
        return b"43%s[true]" % data[2 : data.find(b"[")]

    def receipt(self, data: bytes) -> bool | None:
        if not data.startswith(b"43"):
            return None
        return data.endswith(b"[true]")


PROTOCOLS: dict[str, type[Protocol]] = {p.name: p for p in (OpenRtm, Relay, SocketIo)}
