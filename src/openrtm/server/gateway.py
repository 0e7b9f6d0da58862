"""The WebSocket gateway on picows: bytes in and out of Sessions (design §1, §2).

The gateway knows frames and sockets, nothing of the protocol: text frames go to
:meth:`Session.on_frame`, and a Session writes back through :class:`PicowsTransport`.
Fragmented messages are reassembled up to the maximum frame size; a larger frame or message
is closed with 1009 (MESSAGE_TOO_BIG).

Writes are coalesced (design §6): a Session's frames go to its connection's pending list, and
once per loop iteration, after every read of that iteration was handled, each connection with
pending frames writes them in one call, so one syscall carries all the frames a connection got
in that iteration (a fan-out of several messages costs one write per member, not one per
message). The WebSocket framing of a payload is built once and reused while the same payload
object is written to one member after another, as a fan-out does.

Every connection's outgoing buffer is bounded (design §6): the socket's write-buffer high-water
mark is set to ``max_write_buffer_bytes``, and when asyncio reports it crossed (the client is
not reading), the session ends as a slow consumer and the socket is aborted at once; waiting
for a buffer that never drains would hold the memory we mean to free. The 4005 close frame is
sent first, but a client that does not read will rarely see it.
"""

from __future__ import annotations

import asyncio
import logging
import struct

from picows import (
    WSFrame,
    WSListener,
    WSMsgType,
    WSTransport,
    WSUpgradeRequest,
    ws_create_server,
)

from openrtm.protocol.codes import CloseCode
from openrtm.server.config import ServerConfig
from openrtm.server.node import Node
from openrtm.server.session import Session

__all__ = ["PICOWS_LOGGER", "Gateway", "Outbox", "PicowsTransport", "text_frame"]

log = logging.getLogger("openrtm.gateway")

# picows' own logger: it logs every connection and disconnection at INFO.
PICOWS_LOGGER = "openrtm.picows"

# Seconds a client has to answer our close frame before its socket is closed regardless.
_CLOSE_WAIT = 2.0

# picows' per-connection read buffer starts at 16 KiB by default; it grows for larger frames
# (design §6: idle connections must be cheap, most frames are small).
_READ_BUFFER_INIT_SIZE = 2048

_LISTEN_BACKLOG = 4096

_TEXT = WSMsgType.TEXT
_TEXT_FIN = 0x81  # RFC 6455 §5.2: FIN + opcode 1 (text); a server's frames are not masked
_SHORT = struct.Struct("!BB")
_MEDIUM = struct.Struct("!BBH")
_LONG = struct.Struct("!BBQ")


# The headers of the frames under 126 bytes, which are most (RFC 6455 §5.2: the size is in
# the second byte): indexed rather than packed for every frame.
_SHORT_HEADERS = [_SHORT.pack(_TEXT_FIN, size) for size in range(126)]


def text_frame(payload: bytes) -> bytes:
    """Return ``payload`` as one unmasked WebSocket text frame, header included."""
    size = len(payload)
    if size < 126:
        return _SHORT_HEADERS[size] + payload
    if size < 65536:
        return _MEDIUM.pack(_TEXT_FIN, 126, size) + payload
    return _LONG.pack(_TEXT_FIN, 127, size) + payload


class Outbox:
    """The connections with frames pending, flushed once per loop iteration."""

    __slots__ = ("_loop", "dirty", "last_frame", "last_payload", "scheduled")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.dirty: list[_Connection] = []  # the connections with frames pending
        self.scheduled = False  # whether flush() is to run in this iteration
        # The framing of the payload written last (see PicowsTransport.write).
        self.last_payload: bytes | None = None
        self.last_frame = b""

    def schedule(self) -> None:
        """Flush at the end of this loop iteration."""
        self.scheduled = True
        # Runs after the I/O callbacks of this loop iteration: every frame read in this
        # iteration has been handled by then.
        self._loop.call_soon(self.flush)

    def flush(self) -> None:
        """Write every pending connection's frames, one write call per connection."""
        self.scheduled = False
        dirty, self.dirty = self.dirty, []
        for connection in dirty:
            connection.flush()
        self.last_payload = None  # let the payload go


class PicowsTransport:
    """A Session's :class:`~openrtm.server.session.Transport` over a picows connection."""

    __slots__ = ("_listener", "_outbox", "_ws")

    def __init__(self, ws: WSTransport, listener: _Connection, outbox: Outbox) -> None:
        self._ws = ws
        self._listener = listener
        self._outbox = outbox

    def write(self, data: bytes) -> None:
        # Runs for every frame sent: text_frame()'s common case and the marking of the
        # connection as dirty are written out here rather than called.
        outbox = self._outbox
        if data is outbox.last_payload:
            # A fan-out writes one payload object to member after member: framed once.
            frame = outbox.last_frame
        else:
            size = len(data)
            frame = _SHORT_HEADERS[size] + data if size < 126 else text_frame(data)
            outbox.last_frame, outbox.last_payload = frame, data
        listener = self._listener
        pending = listener.pending
        if pending is not None:
            pending.append(frame)
            return
        listener.pending = [frame]
        outbox.dirty.append(listener)
        if not outbox.scheduled:
            outbox.schedule()

    def close(self, code: int, reason: str) -> None:
        self._listener.flush()  # the frames written before the close go before it
        # picows takes any int as a close code; its enum only names the RFC ones.
        self._ws.send_close(code, reason.encode())  # type: ignore[arg-type]
        # RFC 6455 §7.1.1: the side that closes first waits for the other's close frame
        # before closing TCP. A socket closed with the client's frames still arriving is reset,
        # and the reset can destroy our close frame on its way to the client. The client's
        # answer ends the connection (on_ws_frame); one that never answers is cut later.
        self._listener.disconnect_later()

    def ping(self) -> None:
        self._ws.send_ping()

    def abort(self) -> None:
        self._listener.pending = None
        self._ws.disconnect(graceful=False)

    def attach(self, session: Session) -> None:
        self._listener.attach(session)


class _Connection(WSListener):
    """picows' listener for one connection."""

    __slots__ = (
        "_fragments",
        "_max_buffer",
        "_max_bytes",
        "_node",
        "_outbox",
        "_session",
        "_tcp",
        "_ws",
        "pending",
    )

    def __init__(self, node: Node, max_bytes: int, max_buffer: int, outbox: Outbox) -> None:
        self._node = node
        self._max_bytes = max_bytes
        self._max_buffer = max_buffer
        self._outbox = outbox
        self._session: Session | None = None
        self._ws: WSTransport | None = None
        # The TCP transport under picows', for flush(): a Cython property such as
        # ws.underlying_transport is a generic attribute lookup (about 300 instructions).
        self._tcp: asyncio.Transport | None = None
        self._fragments: bytearray | None = None
        self.pending: list[bytes] | None = None  # frames written in this loop iteration

    def on_ws_connected(self, transport: WSTransport) -> None:
        self._ws = transport
        tcp = self._tcp = transport.underlying_transport
        tcp.set_write_buffer_limits(high=self._max_buffer)
        self._session = self._node.connect(PicowsTransport(transport, self, self._outbox))

    def flush(self) -> None:
        """Write the pending frames in one call (the socket's own buffering takes the rest)."""
        pending, self.pending = self.pending, None
        tcp = self._tcp
        if pending is None or tcp is None or tcp.is_closing():
            return
        tcp.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def attach(self, session: Session) -> None:
        """Send this connection's frames to ``session`` (it resumed a lost link's session)."""
        self._session = session

    def disconnect_later(self) -> None:
        """Close the socket if the client has not answered our close frame within a while."""
        ws = self._ws
        if ws is not None:
            self._node.timers.call_later(_CLOSE_WAIT, ws.disconnect)

    def pause_writing(self) -> None:
        # asyncio calls this from inside the write that crossed the limit, which may be one of
        # many in a fan-out loop over the channel's members: cutting the session here would
        # change that loop's dict under it. Cut on the next loop turn instead; until then the
        # buffer grows by at most what the current fan-out writes.
        asyncio.get_running_loop().call_soon(self._cut_slow_consumer)

    def _cut_slow_consumer(self) -> None:
        session, ws = self._session, self._ws
        if session is None or ws is None:
            return
        log.info("closing a slow consumer: %r", session)
        self._node.slow_consumer_kicks += 1
        session.close(CloseCode.SLOW_CONSUMER, "slow consumer")
        ws.disconnect(graceful=False)

    def resume_writing(self) -> None:
        pass

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        session = self._session
        if session is None:
            return
        session.seen = True  # any frame is a sign of life, the keepalive sweep's only input
        msg_type = frame.msg_type
        if msg_type is _TEXT:
            if self._fragments is not None:
                # RFC 6455 §5.4: a new message may not start inside a fragmented one.
                session.close(CloseCode.PROTOCOL_ERROR, "new message inside a fragmented one")
                return
            if frame.fin:
                # As bytes: a copy, but cheaper to make and to decode than a memoryview.
                session.on_frame(frame.get_payload_as_bytes())
            else:
                self._fragments = bytearray(frame.get_payload_as_memoryview())
        elif msg_type == WSMsgType.CONTINUATION:
            self._continue(transport, frame, session)
        elif msg_type == WSMsgType.BINARY:
            session.on_binary_frame()
        elif msg_type == WSMsgType.CLOSE:
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def _continue(self, transport: WSTransport, frame: WSFrame, session: Session) -> None:
        fragments = self._fragments
        if fragments is None:
            return  # a continuation of a binary message, or of nothing: ignored
        fragments += frame.get_payload_as_memoryview()
        if len(fragments) > self._max_bytes:
            self._fragments = None
            session.close(CloseCode.MESSAGE_TOO_BIG, "message too big")
        elif frame.fin:
            self._fragments = None
            session.on_frame(fragments)

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.pending = None
        session = self._session
        if session is None:
            return
        self._session = None
        handshake = transport.close_handshake
        if handshake is not None and handshake.sent is not None and not handshake.recv_then_sent:
            # The server closed it first (picows itself, for 1009, 1002 or 1011): a deliberate
            # end the client does not come back from, so there is no grace to wait out. A
            # client that closes without logging out is a lost link, and keeps its grace.
            self._node.end_session(session)
        session.on_disconnect()


class Gateway:
    """The listening WebSocket endpoint at ``ws://HOST:PORT/``."""

    def __init__(self, node: Node, config: ServerConfig) -> None:
        self._node = node
        self._config = config
        self._server: asyncio.Server | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured with port 0)."""
        if self._server is None:
            raise RuntimeError("gateway not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def start(self) -> None:
        """Bind and start accepting connections."""
        node, config = self._node, self._config
        outbox = Outbox(asyncio.get_running_loop())

        def listener_factory(request: WSUpgradeRequest) -> WSListener | None:
            if request.path.split(b"?", 1)[0] != b"/":
                return None  # picows answers 404
            return _Connection(node, config.max_frame_bytes, config.max_write_buffer_bytes, outbox)

        self._server = await ws_create_server(
            listener_factory,
            config.host,
            config.port,
            max_frame_size=config.max_frame_bytes,
            websocket_handshake_timeout=5,
            read_buffer_init_size=_READ_BUFFER_INIT_SIZE,
            use_aiofastnet=False,
            # asyncio's default of 100 overflows in a reconnect storm: each overflowed client
            # waits ~1 s to retry (docs/benchmarks.md, Findings). The kernel caps it at somaxconn.
            backlog=_LISTEN_BACKLOG,
            # A Logger, not a name: picows 2.3.1 files a name under "picows.".
            logger_name=logging.getLogger(PICOWS_LOGGER),
        )

    def stop_accepting(self) -> None:
        """Stop accepting new connections; existing ones stay open."""
        if self._server is not None:
            self._server.close()
