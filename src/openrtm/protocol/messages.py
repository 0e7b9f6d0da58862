"""The frames of openrtm's wire protocol, as msgspec Structs (``docs/protocol.md``).

One JSON object per WebSocket text frame. Frames from the client are tagged by ``op``; a
request carries a client-chosen integer ``id`` and gets exactly one reply with that id, a
``reply`` or an ``error``. Frames from the server are tagged by ``t``; pushes carry no id.

Unknown fields are ignored in both directions, so either side can add optional fields without
a version bump; anything else changes ``PROTOCOL_VERSION``, which the client sends at login.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, ClassVar

import msgspec

from openrtm.protocol.codes import (
    ChannelMessageError,
    GetMembersError,
    JoinChannelError,
    LeaveChannelError,
    LoginError,
    LogoutError,
    MessageType,
    PeerMessageError,
    ProtocolError,
    RenewTokenError,
)

__all__ = [
    "PROTOCOL_VERSION",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "Ack",
    "ChannelMessagePush",
    "ClientMessage",
    "ErrorReply",
    "GetMembers",
    "GetMembersResult",
    "JoinChannel",
    "LeaveChannel",
    "Login",
    "LoginResult",
    "Logout",
    "Media",
    "MemberCountPush",
    "MemberJoinedPush",
    "MemberLeftPush",
    "Message",
    "PeerMessagePush",
    "PeerMessageResult",
    "Ping",
    "RenewToken",
    "RenewTokenResult",
    "Reply",
    "Request",
    "SendChannelMessage",
    "SendPeerMessage",
    "ServerFrame",
    "TokenExpiringPush",
]

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOL_VERSIONS = frozenset({1})


# gc=False (here and on the other frame bases): a frame is a tree of strings, numbers, lists
# and maps, never part of a cycle, so the cyclic collector need not track the thousands made
# every second (design §6).
class ClientMessage(msgspec.Struct, tag_field="op", kw_only=True, omit_defaults=True, gc=False):
    """Base of every client frame.

    Class attributes tell the server how to refuse a frame of this kind: ``errors`` is the
    operation's error enum (spec §4), ``invalid_code`` the code for a frame whose fields do not
    validate and ``not_logged_in_code`` the code when the session has not logged in (None:
    allowed, or silently ignored, before login).
    """

    errors: ClassVar[type[IntEnum]]
    invalid_code: ClassVar[IntEnum]
    not_logged_in_code: ClassVar[IntEnum | None]


class Request(ClientMessage):
    """Base of every client request: it carries an ``id`` and gets exactly one answer."""

    id: int


class Login(Request, tag="login"):
    """Log in as ``uid`` of App ``app_id`` (spec §1.2 ``login``).

    ``resume`` names the session of a link that was lost: within the grace period the
    server resumes it (channels, presence, attributes kept; missed pushes replayed).
    """

    v: int
    app_id: str
    uid: str
    token: str | None = None
    sdk: str = ""
    resume: str | None = None

    errors = LoginError
    invalid_code = LoginError.INVALID_ARGUMENT
    not_logged_in_code = None


class Logout(Request, tag="logout"):
    """Log out; the server then closes the connection with 1000 (spec §1.2 ``logout``)."""

    errors = LogoutError
    invalid_code = LogoutError.REJECTED
    not_logged_in_code = LogoutError.USER_NOT_LOGGED_IN


class Ping(Request, tag="ping"):
    """Ask for an empty reply: a client that cannot send WebSocket pings (a browser) learns
    that its link is alive (``docs/protocol.md`` §1, §3.22). Allowed before login."""

    errors = ProtocolError
    invalid_code = ProtocolError.INVALID_ARGUMENT
    not_logged_in_code = None


class RenewToken(Request, tag="renew_token"):
    """Replace the login token with ``token``, for the same uid (spec §1.2 ``renewToken``)."""

    token: str

    errors = RenewTokenError
    invalid_code = RenewTokenError.INVALID_ARGUMENT
    not_logged_in_code = RenewTokenError.USER_NOT_LOGGED_IN


_Count = Annotated[int, msgspec.Meta(ge=0)]


class Media(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """What a FILE or IMAGE message says of its uploaded object (spec §1.6, ≤ 1.4.x).

    Attributes:
        id: the media id the upload returned (``mediaId``); download it from the HTTP face.
        name: the file name (``fileName``).
        size: the object's size in bytes.
        thumb: the thumbnail's bytes (base64 in JSON), if any.
        width: IMAGE: the image's width in pixels (0: unknown).
        height: IMAGE: its height.
        thumb_width: IMAGE: the thumbnail's width in pixels (``thumbnailWidth``).
        thumb_height: IMAGE: the thumbnail's height.
    """

    id: str
    name: str = ""
    size: _Count = 0
    thumb: bytes | None = None
    width: _Count = 0
    height: _Count = 0
    thumb_width: _Count = 0
    thumb_height: _Count = 0


class Message(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """A message body, peer or channel (spec §1.6).

    TEXT carries ``text``; RAW carries ``raw`` (base64 in JSON) and an optional
    ``description``; FILE and IMAGE carry ``media`` and an optional ``description``. Limits
    are checked by :func:`openrtm.protocol.limits.message_error`.
    """

    type: MessageType = MessageType.TEXT
    text: str = ""
    raw: bytes | None = None
    description: str = ""
    # One optional field for both media kinds: a TEXT or RAW message pays one default check
    # to encode, nothing to decode (docs/benchmarks.md).
    media: Media | None = None


class SendPeerMessage(Request, tag="peer_msg"):
    """Send ``msg`` to user ``to`` (spec §1.2 ``sendMessageToPeer``).

    ``mid`` is the sender's id for the message, unique within its login; a retry reuses it so
    that the receiver delivers the message once. ``offline`` stores it for an offline peer
    (spec §6.2); ``history`` archives it for the REST history API (spec §6.3).
    """

    to: str
    mid: str
    msg: Message
    offline: bool = False
    history: bool = False

    errors = PeerMessageError
    invalid_code = PeerMessageError.INVALID_MESSAGE
    not_logged_in_code = PeerMessageError.USER_NOT_LOGGED_IN


class Ack(ClientMessage, tag="ack"):
    """The receiving SDK acknowledges delivery ``d`` of a ``peer_msg`` push (no reply)."""

    d: int

    errors = ProtocolError
    invalid_code = ProtocolError.INVALID_ARGUMENT
    not_logged_in_code = None


class JoinChannel(Request, tag="join"):
    """Join ``channel`` (spec §1.4 ``join``)."""

    channel: str

    errors = JoinChannelError
    invalid_code = JoinChannelError.INVALID_ARGUMENT
    not_logged_in_code = JoinChannelError.USER_NOT_LOGGED_IN


class LeaveChannel(Request, tag="leave"):
    """Leave ``channel`` (spec §1.4 ``leave``)."""

    channel: str

    errors = LeaveChannelError
    invalid_code = LeaveChannelError.FAILURE
    not_logged_in_code = LeaveChannelError.USER_NOT_LOGGED_IN


class SendChannelMessage(Request, tag="channel_msg"):
    """Send ``msg`` to the other members of a joined ``channel`` (spec §1.4 ``sendMessage``)."""

    channel: str
    mid: str
    msg: Message
    history: bool = False

    errors = ChannelMessageError
    invalid_code = ChannelMessageError.INVALID_MESSAGE
    not_logged_in_code = ChannelMessageError.USER_NOT_LOGGED_IN


class GetMembers(Request, tag="get_members"):
    """List the members of a joined ``channel`` (spec §1.4 ``getMembers``)."""

    channel: str

    errors = GetMembersError
    invalid_code = GetMembersError.FAILURE
    not_logged_in_code = GetMembersError.USER_NOT_LOGGED_IN


class LoginResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a successful ``login`` replies.

    Attributes:
        session_id: the server's id for this login session.
        protocol: the protocol version the server speaks on this connection.
        server: the server's name and version, e.g. ``"openrtm/0.1.0"``.
        server_ts: the server's clock at login, in ms since the epoch.
        token_deadline: when the login token stops being valid (Unix seconds), if it expires.
        resumed: the session named by ``resume`` was resumed (spec §3.3); otherwise this is
            a new session and the client restores its channels and subscriptions itself.
        http: the base URL of the server's HTTP face (media transfers), when the server is
            configured with a public URL (e.g. behind a reverse proxy).
        http_port: otherwise the HTTP face's port, on the host the client connected to, with
            ``http`` for ``ws`` and ``https`` for ``wss``.
        media_ticket: the bearer credential of this login session for media transfers on the
            HTTP face (``Authorization: Bearer <ticket>``); valid while the session lives,
            the same across a resume.
    """

    session_id: str
    protocol: int
    server: str
    server_ts: int
    token_deadline: int | None = None
    resumed: bool = False
    http: str | None = None
    http_port: int | None = None
    media_ticket: str | None = None


class RenewTokenResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What ``renew_token`` replies: the new deadline (Unix seconds), if the token expires."""

    token_deadline: int | None = None


class PeerMessageResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What ``peer_msg`` replies (spec §6.1).

    Attributes:
        received: the receiving SDK acknowledged the message (``hasPeerReceived``).
        cached: the peer was offline and the message was stored for it (native code 4).
    """

    received: bool
    cached: bool = False


class GetMembersResult(msgspec.Struct, kw_only=True):
    """What ``get_members`` replies: at most 512 member ids (spec §6.8)."""

    members: list[str]


class ServerFrame(msgspec.Struct, tag_field="t", kw_only=True, omit_defaults=True, gc=False):
    """Base of every frame the server sends."""


class Reply(ServerFrame, tag="reply"):
    """The successful reply to request ``id``; ``result`` is the operation's result, if any."""

    id: int
    result: Any = None


class ErrorReply(ServerFrame, tag="error"):
    """The refusal of request ``id``, which is null when the frame had no usable id.

    ``code`` is the per-operation code of spec §4 and ``name`` the Web SDK's error class name
    (spec §1.8); ``message`` is for people and never carries exception text.
    """

    id: int | None
    code: int
    name: str
    message: str


class TokenExpiringPush(ServerFrame, tag="token_expiring"):
    """The login token expires at ``deadline`` (Unix seconds): renew it (spec §6.10).

    Sent ``token_warning`` seconds (30 by default) before the deadline; at the deadline the
    server closes with 4002.
    """

    deadline: int


class PeerMessagePush(ServerFrame, tag="peer_msg"):
    """A peer message for this user; acknowledge it with ``{"op": "ack", "d": d}``.

    ``ts`` is ``serverReceivedTs`` (ms); ``offline`` marks a message stored while this user
    was offline (spec §6.2); ``d`` numbers deliveries on this connection.
    """

    sender: str = msgspec.field(name="from")
    mid: str
    msg: Message
    ts: int
    d: int
    offline: bool = False


class ChannelMessagePush(ServerFrame, tag="channel_msg"):
    """A message from another member of ``channel``."""

    channel: str
    sender: str = msgspec.field(name="from")
    mid: str
    msg: Message
    ts: int


class MemberJoinedPush(ServerFrame, tag="member_joined"):
    """``uid`` joined ``channel`` (not sent above 512 members, spec §6.8)."""

    channel: str
    uid: str


class MemberLeftPush(ServerFrame, tag="member_left"):
    """``uid`` left ``channel`` (leave, logout, kick; not sent above 512 members)."""

    channel: str
    uid: str


class MemberCountPush(ServerFrame, tag="member_count"):
    """``channel`` has ``count`` members (after joining, then on change, coalesced)."""

    channel: str
    count: int
