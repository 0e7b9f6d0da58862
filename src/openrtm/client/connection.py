"""One WebSocket connection of the SDK to the server: requests, replies, pushes, closes.

A :class:`Connection` numbers requests, matches each reply to its request, hands pushes to the
client, and reports how the connection ended (the close code, or None when the link was lost
without one) so that the client can apply the close policy of ``protocol.codes``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from typing import Any

import msgspec
from picows import WSFrame, WSListener, WSMsgType, WSTransport, ws_connect

from openrtm.errors import error_from_reply
from openrtm.protocol.codec import decode_server_frame, encode
from openrtm.protocol.limits import MAX_FRAME_BYTES
from openrtm.protocol.messages import ErrorReply, Reply, Request, ServerFrame

__all__ = ["Connection", "LinkLost"]

log = logging.getLogger("openrtm.client")

# Read for every frame, so as globals: on Python 3.11 reading a member off its enum class
# (WSMsgType.TEXT) goes through EnumType.__getattr__, about 1,100 instructions.
_TEXT, _CLOSE = WSMsgType.TEXT, WSMsgType.CLOSE


class LinkLost(Exception):
    """The connection ended before the request was answered."""

    def __init__(self, code: int | None) -> None:
        super().__init__(code)
        self.code = code

    def __str__(self) -> str:
        return f"connection closed (code {self.code})"


class _Listener(WSListener):
    __slots__ = ("_conn",)

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type  # converted to the Python enum on every read
        if msg_type is _TEXT:
            self._conn._on_text(frame.get_payload_as_bytes())
        elif msg_type is _CLOSE:
            self._conn._close_code = frame.get_close_code().value
            self._conn._close_reason = frame.get_close_reason()
            transport.send_close(frame.get_close_code())
            transport.disconnect()

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._conn._on_disconnected()


class Connection:
    """A connection to an openrtm server.

    Args:
        on_push: called with every server frame that is not a reply, and this connection.
        on_closed: called once when the connection ends, with the close code (None if the
            link dropped without a close frame) and the close reason.
        ids: the client's request ids, continued across its connections, so that a late
            answer to a request of a lost connection matches nothing on a resumed one.
    """

    def __init__(
        self,
        on_push: Callable[[ServerFrame, Connection], None],
        on_closed: Callable[[int | None, str], None],
        ids: Iterator[int],
    ) -> None:
        self._on_push = on_push
        self._on_closed = on_closed
        self._ws: WSTransport | None = None
        self._pending: dict[int, tuple[asyncio.Future[Any], str]] = {}
        self._ids = ids
        self._close_code: int | None = None
        self._close_reason = ""
        self.closed = False

    async def open(
        self, url: str, timeout: float, ping_interval: float, ping_timeout: float
    ) -> None:
        """Connect to ``url``; a link silent for ``ping_interval`` is pinged, and one that does
        not answer within ``ping_timeout`` is dropped (then the client reconnects).

        Raises:
            OSError, asyncio.TimeoutError, picows.WSError: the server could not be reached.
        """
        self._ws, _ = await asyncio.wait_for(
            ws_connect(
                lambda: _Listener(self),
                url,
                max_frame_size=MAX_FRAME_BYTES,
                websocket_handshake_timeout=timeout,
                logger_name="openrtm.client.picows",
                enable_auto_ping=True,
                auto_ping_idle_timeout=ping_interval,
                auto_ping_reply_timeout=ping_timeout,
            ),
            timeout,
        )
        if self._ws is None or self._ws.is_disconnected:
            # picows can hand back a connection the peer dropped during the upgrade, with no
            # disconnect callback to come: treat it as the failed attempt it is.
            raise ConnectionError("connection closed during the WebSocket upgrade")

    def next_id(self) -> int:
        """Return a fresh request id."""
        return next(self._ids)

    def request(self, request: Request, operation: str) -> asyncio.Future[Any]:
        """Send ``request``; the future resolves with its result or raises its RtmError.

        ``operation`` names the error enum for errors the server returns (e.g. "LoginError").
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if self._ws is None or self.closed:
            future.set_exception(LinkLost(self._close_code))
            return future
        self._pending[request.id] = (future, operation)
        self._ws.send(_TEXT, encode(request))
        return future

    def send(self, frame: msgspec.Struct) -> None:
        """Send a frame that gets no answer (an ack)."""
        if self._ws is not None and not self.closed:
            self._ws.send(_TEXT, encode(frame))

    def close(self, code: int = 1000, reason: str = "") -> None:
        """Close the connection (no-op if already closed)."""
        if self._ws is not None and not self.closed:
            # picows takes any int as a close code; its enum only names the RFC ones.
            self._ws.send_close(code, reason.encode())  # type: ignore[arg-type]
            self._ws.disconnect()

    def _on_text(self, data: bytes) -> None:
        try:
            frame = decode_server_frame(data)
        except msgspec.DecodeError:
            log.warning("ignoring a frame this SDK does not understand")
            return
        if isinstance(frame, Reply):
            self._resolve(frame.id, frame.result, None)
        elif isinstance(frame, ErrorReply):
            if frame.id is None:
                log.warning("server refused a frame: %s", frame.message)
                return
            entry = self._pending.get(frame.id)
            operation = entry[1] if entry else None
            error = error_from_reply(frame.code, frame.name, frame.message, operation=operation)
            self._resolve(frame.id, None, error)
        else:
            self._on_push(frame, self)

    def _resolve(self, request_id: int, result: Any, error: Exception | None) -> None:
        entry = self._pending.pop(request_id, None)
        if entry is None or entry[0].done():
            return
        if error is None:
            entry[0].set_result(result)
        else:
            entry[0].set_exception(error)

    def _on_disconnected(self) -> None:
        if self.closed:
            return
        self.closed = True
        pending, self._pending = self._pending, {}
        for future, _ in pending.values():
            if not future.done():
                future.set_exception(LinkLost(self._close_code))
        self._on_closed(self._close_code, self._close_reason)
