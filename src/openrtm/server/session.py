"""One connection's state machine: the login gate, and frames turned into calls on the Node.

A Session writes only through a :class:`Transport` (write bytes, close with a code), so it can
be driven by the picows gateway or by a test that records writes (design §2). Its lifecycle is
the transition table ``TRANSITIONS`` (design §7): an event that the table does not allow in the
current state changes nothing.
"""

from __future__ import annotations

from collections import deque
from enum import Enum, IntEnum
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from openrtm.protocol.codec import DECODE_ERRORS, decode_frame, encode, error_reply, frame_error
from openrtm.protocol.codes import CloseCode, ProtocolError
from openrtm.protocol.limits import CallWindow, CallWindows, RateLimit
from openrtm.protocol.messages import PeerMessagePush, Reply

if TYPE_CHECKING:
    from openrtm.server.node import Node
    from openrtm.server.timers import Timer

__all__ = [
    "CLOSED",
    "DETACHED",
    "LOGGED_IN",
    "TRANSITIONS",
    "Session",
    "SessionEvent",
    "SessionState",
    "Transport",
]

# Pushes other than messages kept for a detached session (counts, member and presence
# events, attributes): enough for the 30 s grace; older ones are superseded anyway.
_OTHER_PUSHES_KEPT = 256

# Peer-message pushes kept until acknowledged, per session: the newest ones. An SDK acks each
# at once, so only a session whose link is lost (or a client that never acks) gets near this;
# past it the oldest is let go, so that no client can make the server keep every message
# sent to it (design §6). docs/protocol.md §3.2.
UNACKED_KEPT = 1024


class Transport(Protocol):
    """The write-only seam between a Session and its connection."""

    def write(self, data: bytes) -> None:
        """Send one text frame."""

    def close(self, code: int, reason: str) -> None:
        """Send a close frame with ``code`` and end the connection."""

    def ping(self) -> None:
        """Ask the client for a sign of life (a WebSocket PING)."""

    def abort(self) -> None:
        """Drop the connection at once, unsent data and all (a dead or stuck peer)."""

    def attach(self, session: Session) -> None:
        """Deliver this connection's frames to ``session`` from now on (a resumed session)."""


class SessionState(Enum):
    """Where a connection is in its life."""

    AWAITING_LOGIN = "awaiting_login"
    LOGGING_IN = "logging_in"
    LOGGED_IN = "logged_in"
    DETACHED = "detached"  # the link was lost; the session waits for a resume (spec §3.3)
    CLOSED = "closed"


class SessionEvent(Enum):
    """What happens to a connection."""

    LOGIN = "login"  # a valid login request was accepted for processing
    LOGIN_OK = "login_ok"
    LOGIN_FAILED = "login_failed"
    LINK_LOST = "link_lost"  # the connection dropped without a logout or a kick
    RESUME = "resume"  # a new connection resumed the session
    CLOSE = "close"  # logout, kick, the grace period over, or the link went away


_S, _E = SessionState, SessionEvent
TRANSITIONS: dict[tuple[SessionState, SessionEvent], SessionState] = {
    (_S.AWAITING_LOGIN, _E.LOGIN): _S.LOGGING_IN,
    (_S.LOGGING_IN, _E.LOGIN_OK): _S.LOGGED_IN,
    (_S.LOGGING_IN, _E.LOGIN_FAILED): _S.AWAITING_LOGIN,
    (_S.AWAITING_LOGIN, _E.CLOSE): _S.CLOSED,
    (_S.LOGGING_IN, _E.CLOSE): _S.CLOSED,
    (_S.LOGGED_IN, _E.CLOSE): _S.CLOSED,
    (_S.LOGGED_IN, _E.LINK_LOST): _S.DETACHED,
    (_S.DETACHED, _E.RESUME): _S.LOGGED_IN,
    (_S.DETACHED, _E.CLOSE): _S.CLOSED,
}

# The states that code run for every frame or delivery compares with, as module globals: on
# Python 3.11 reading a member off its class (``SessionState.LOGGED_IN``) goes through
# ``EnumType.__getattr__``, about 1,100 instructions against about 20 for a global
# (docs/benchmarks.md, Findings).
LOGGED_IN = SessionState.LOGGED_IN
DETACHED = SessionState.DETACHED
CLOSED = SessionState.CLOSED


class Session:
    """The server side of one WebSocket connection.

    Attributes:
        state: the current :class:`SessionState`.
        app_id: the App ID, once logging in.
        uid: the user id, once logging in.
        session_id: the login session's id, once logged in.
        token_deadline: Unix seconds when the login token expires, if it does.
        channels: joined channels with the member count last pushed for each (negative while
            joining).
        inflight: peer-message deliveries awaiting the client's ack, by delivery number.
        held: peer-message pushes held back while stored offline messages are replayed first.
        inbox_seq: the newest stored message pushed on this connection (none pushed twice).
        replay_again: another replay of stored messages was asked for during the current one.
        windows: call-frequency windows (spec §5.4) by operation, or (operation, target).
        message_window: the window of the message budget (spec §5.4), apart from ``windows``
            because every message checks it.
        seen: a frame arrived since the last keepalive sweep (set by the gateway).
        missed: keepalive sweeps in a row that found the connection silent.
        backlog: other pushes made while DETACHED (not peer or channel messages), replayed;
            None unless DETACHED (idle connections must be cheap, design §6).
        missed_messages: the last channel messages made while DETACHED (spec §6.4: 32).
        link_timer: while DETACHED, the unreachable notice and then the end of the grace.
        unreachable: followers were told this user is UNREACHABLE.
        following: the peers whose online state this session subscribed to (spec §6.9).
        user_attrs: this session's user attributes (spec §6.6); the engine holds a copy for
            readers on any node.
    """

    __slots__ = (
        "app_id",
        "backlog",
        "channels",
        "following",
        "held",
        "inbox_seq",
        "inflight",
        "last_delivery",
        "link_timer",
        "login_timer",
        "message_window",
        "missed",
        "missed_messages",
        "node",
        "replay_again",
        "seen",
        "session_id",
        "state",
        "token_deadline",
        "token_timer",
        "transport",
        "uid",
        "unreachable",
        "user_attrs",
        "windows",
    )

    def __init__(self, node: Node, transport: Transport | None) -> None:
        self.node = node
        self.transport: Transport | None = transport
        self.state = SessionState.AWAITING_LOGIN
        self.app_id = ""
        self.uid = ""
        self.session_id = ""
        self.token_deadline: int | None = None
        self.login_timer: Timer | None = None
        self.token_timer: Timer | None = None
        self.channels: dict[str, int] = {}
        self.inflight: dict[int, tuple[object, bytes]] = {}
        self.last_delivery = 0
        self.held: list[bytes] | None = None
        self.inbox_seq = 0
        self.replay_again = False
        self.windows = CallWindows()
        self.message_window: CallWindow | None = None
        self.seen = True
        self.missed = 0
        self.backlog: deque[bytes] | None = None
        self.missed_messages: deque[bytes] | None = None
        self.link_timer: Timer | None = None
        self.unreachable = False
        # A dict as an ordered set: an empty set is 216 bytes, an empty dict 64, and every
        # connection has one (docs/benchmarks.md, where an idle connection's bytes go).
        self.following: dict[str, None] = {}
        self.user_attrs: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"<Session {self.state.value} app={self.app_id} uid={self.uid!r}>"

    # --- state ---------------------------------------------------------------------------

    def keep_missed_pushes(self) -> None:
        """Start keeping what is pushed while DETACHED, for the resume (spec §3.3, §6.4)."""
        self.backlog = deque(maxlen=_OTHER_PUSHES_KEPT)
        self.missed_messages = deque(maxlen=self.node.config.resume_backlog)

    def take_missed_pushes(self) -> list[bytes]:
        """Return what was kept while DETACHED (other pushes, then messages); stop keeping."""
        missed = [*(self.backlog or ()), *(self.missed_messages or ())]
        self.backlog = self.missed_messages = None
        return missed

    def fire(self, event: SessionEvent) -> bool:
        """Apply ``event``; return whether the table allowed it in the current state."""
        new_state = TRANSITIONS.get((self.state, event))
        if new_state is None:
            return False
        self.state = new_state
        return True

    def within(self, *checks: tuple[object, RateLimit]) -> int:
        """Check a call against call-frequency limits (spec §5.4); see ``CallWindows.within``."""
        return self.windows.within(self.node.timers.now(), *checks)

    def within_message_budget(self) -> bool:
        """Count a peer or channel message against the budget they share (spec §5.4)."""
        window = self.message_window
        if window is None:
            window = self.message_window = CallWindow(self.node.config.message_rate)
        return window.allow(self.node.timers.now())

    @property
    def logged_in(self) -> bool:
        """Whether the session is logged in with a live connection."""
        return self.state is LOGGED_IN

    @property
    def alive(self) -> bool:
        """Whether the login session lives: logged in, or detached within its grace period."""
        return self.state is LOGGED_IN or self.state is DETACHED

    # --- inbound -------------------------------------------------------------------------

    def on_frame(self, data: bytes | bytearray | memoryview) -> None:
        """Handle one text frame from the client."""
        if self.state is CLOSED:
            return
        try:
            request = decode_frame(data)
        except DECODE_ERRORS as error:
            exc = frame_error(data, error)
            request_type = exc.request_type
            code: IntEnum = (
                request_type.invalid_code if request_type else ProtocolError.INVALID_ARGUMENT
            )
            self.refuse(exc.request_id, code, exc.detail)
            return
        gate = request.not_logged_in_code
        if gate is not None and self.state is not LOGGED_IN:
            self.refuse(getattr(request, "id", None), gate, "not logged in")
            return
        self.node.handlers[type(request)](self, request)

    def on_binary_frame(self) -> None:
        """Refuse a binary frame: this protocol version speaks JSON text frames only."""
        self.refuse(None, ProtocolError.INVALID_ARGUMENT, "binary frames are not supported")

    def on_disconnect(self) -> None:
        """The link is gone, whoever closed it."""
        self.node.disconnected(self)

    # --- outbound ------------------------------------------------------------------------

    def send(self, frame: msgspec.Struct) -> None:
        """Encode and write one frame."""
        self.write(encode(frame))

    def write(self, data: bytes) -> None:
        """Write one already encoded frame (a fan-out encodes once for every member).

        While DETACHED the frame joins the bounded backlog replayed on resume (spec §6.4:
        the last 32 channel messages).
        """
        transport = self.transport
        if transport is not None and self.state is not CLOSED:
            transport.write(data)
        elif self.state is DETACHED and self.backlog is not None:
            self.backlog.append(data)

    def write_channel_message(self, data: bytes) -> None:
        """Write a channel message; while DETACHED keep the last ones for the resume."""
        transport = self.transport
        if transport is not None and self.state is not CLOSED:
            transport.write(data)
        elif self.state is DETACHED and self.missed_messages is not None:
            self.missed_messages.append(data)

    def deliver(self, entry: object, push: PeerMessagePush) -> object | None:
        """Push a peer message that the client must ack; ``entry`` is what its ack settles.

        The push gets this connection's next delivery number. While stored offline messages
        are being replayed, live ones are held so that the client sees them in order.

        Returns:
            The entry of the push let go to keep :data:`UNACKED_KEPT`, if one was.
        """
        self.last_delivery = push.d = self.last_delivery + 1
        data = encode(push)
        # Kept with its frame until acked: a resumed session pushes it again (spec §3.3).
        # Delivery numbers count up by one, so the window is (d - UNACKED_KEPT, d].
        inflight = self.inflight
        inflight[push.d] = (entry, data)
        dropped = inflight.pop(push.d - UNACKED_KEPT, None)
        if self.held is not None:
            self.held.append(data)
        elif self.state is LOGGED_IN:
            self.write(data)
        return None if dropped is None else dropped[0]

    def reply(self, request_id: int, result: Any = None) -> None:
        """Answer request ``request_id`` with success and an optional result."""
        self.write(encode(Reply(id=request_id, result=result)))

    def refuse(self, request_id: int | None, code: IntEnum, message: str) -> None:
        """Answer request ``request_id`` with a per-operation error code (spec §4)."""
        self.send(error_reply(request_id, code, message))

    def close(self, code: CloseCode, reason: str) -> None:
        """End the session and close the connection with ``code`` (logout, kick, shutdown)."""
        if self.state is CLOSED:
            return
        self.node.end_session(self)
        if self.transport is not None:
            self.transport.close(code, reason)
