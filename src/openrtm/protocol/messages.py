"""The frames of openrtm's wire protocol, as msgspec Structs (``docs/protocol.md``).

One JSON object per WebSocket text frame. Frames from the client are tagged by ``op``; a
request carries a client-chosen integer ``id`` and gets exactly one reply with that id, a
``reply`` or an ``error``. Frames from the server are tagged by ``t``; pushes carry no id.

Unknown fields are ignored in both directions, so either side can add optional fields without
a version bump; anything else changes ``PROTOCOL_VERSION``, which the client sends at login.
"""

from __future__ import annotations

from enum import IntEnum
from typing import Any, ClassVar

import msgspec

from openrtm.protocol.codes import LoginError, LogoutError

__all__ = [
    "PROTOCOL_VERSION",
    "SUPPORTED_PROTOCOL_VERSIONS",
    "ClientFrame",
    "ErrorReply",
    "Login",
    "LoginResult",
    "Logout",
    "Reply",
    "Request",
    "ServerFrame",
]

PROTOCOL_VERSION = 1
SUPPORTED_PROTOCOL_VERSIONS = frozenset({1})


class Request(msgspec.Struct, tag_field="op", kw_only=True, omit_defaults=True):
    """Base of every client request.

    Class attributes tell the server how to refuse a request of this kind: ``errors`` is the
    operation's error enum (spec §4), ``invalid_code`` the code for a frame whose fields do not
    validate and ``not_logged_in_code`` the code when the session has not logged in.
    """

    id: int

    errors: ClassVar[type[IntEnum]]
    invalid_code: ClassVar[IntEnum]
    not_logged_in_code: ClassVar[IntEnum | None]


class Login(Request, tag="login"):
    """Log in as ``uid`` of App ``app_id`` (spec §1.2 ``login``)."""

    v: int
    app_id: str
    uid: str
    token: str | None = None
    sdk: str = ""

    errors = LoginError
    invalid_code = LoginError.INVALID_ARGUMENT
    not_logged_in_code = None


class Logout(Request, tag="logout"):
    """Log out; the server then closes the connection with 1000 (spec §1.2 ``logout``)."""

    errors = LogoutError
    invalid_code = LogoutError.REJECTED
    not_logged_in_code = LogoutError.USER_NOT_LOGGED_IN


ClientFrame = Login | Logout


class LoginResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What a successful ``login`` replies.

    Attributes:
        session_id: the server's id for this login session.
        protocol: the protocol version the server speaks on this connection.
        server: the server's name and version, e.g. ``"openrtm/0.1.0"``.
        server_ts: the server's clock at login, in ms since the epoch.
        token_deadline: when the login token stops being valid (Unix seconds), if it expires.
    """

    session_id: str
    protocol: int
    server: str
    server_ts: int
    token_deadline: int | None = None


class ServerFrame(msgspec.Struct, tag_field="t", kw_only=True, omit_defaults=True):
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


ServerFrameUnion = Reply | ErrorReply
