"""Agora RTM 1.x enums and error codes, and openrtm's WebSocket close codes.

Everything here is data: the string enums of the Web SDK (spec §1.9, §1.5), one ``IntEnum`` of
error codes per operation (spec §4, member names are Agora's constant names without the
operation prefix), the rule that gives each code its Web error class name (spec §1.8), and the
close codes that end a connection and tell the SDK what to do next (``docs/protocol.md``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

__all__ = [
    "CLOSE_POLICIES",
    "AttributeOperationError",
    "ChannelMessageError",
    "CloseCode",
    "ClosePolicy",
    "ConnectionChangeReason",
    "ConnectionState",
    "CreateChannelError",
    "CreateInstanceError",
    "DownloadMediaError",
    "GetChannelMemberCountError",
    "GetMembersError",
    "InvitationApiCallError",
    "JoinChannelError",
    "LeaveChannelError",
    "LocalInvitationFailureReason",
    "LocalInvitationState",
    "LoginError",
    "LogoutError",
    "MessageType",
    "PeerMessageError",
    "PeerOnlineState",
    "PeerSubscriptionOption",
    "PeerSubscriptionStatusError",
    "ProtocolError",
    "QueryPeersBySubscriptionOptionError",
    "QueryPeersOnlineStatusError",
    "RemoteInvitationFailureReason",
    "RemoteInvitationState",
    "RenewTokenError",
    "UploadMediaError",
    "close_policy",
    "web_error_name",
]


# --- string enums of the Web SDK (spec §1.9; value == name) ---------------------------------


class ConnectionState(StrEnum):
    """Client connection states (spec §3.1)."""

    DISCONNECTED = "DISCONNECTED"
    CONNECTING = "CONNECTING"
    CONNECTED = "CONNECTED"
    RECONNECTING = "RECONNECTING"
    ABORTED = "ABORTED"


class ConnectionChangeReason(StrEnum):
    """Why the connection state changed (spec §3.1)."""

    LOGIN = "LOGIN"
    LOGIN_SUCCESS = "LOGIN_SUCCESS"
    LOGIN_FAILURE = "LOGIN_FAILURE"
    LOGIN_TIMEOUT = "LOGIN_TIMEOUT"
    INTERRUPTED = "INTERRUPTED"
    LOGOUT = "LOGOUT"
    BANNED_BY_SERVER = "BANNED_BY_SERVER"
    REMOTE_LOGIN = "REMOTE_LOGIN"
    TOKEN_EXPIRED = "TOKEN_EXPIRED"


class PeerOnlineState(StrEnum):
    """A subscribed peer's state in ``PeersOnlineStatusChanged`` (spec §6.9)."""

    ONLINE = "ONLINE"
    UNREACHABLE = "UNREACHABLE"
    OFFLINE = "OFFLINE"


class PeerSubscriptionOption(StrEnum):
    """What a peer subscription is for (spec §1.9)."""

    ONLINE_STATUS = "ONLINE_STATUS"


class MessageType(StrEnum):
    """Message kinds; FILE and IMAGE are the 1.4.x media messages (spec §1.6)."""

    TEXT = "TEXT"
    RAW = "RAW"
    FILE = "FILE"
    IMAGE = "IMAGE"


class LocalInvitationState(StrEnum):
    """Caller-side invitation states (spec §1.5)."""

    IDLE = "IDLE"
    SENT_TO_REMOTE = "SENT_TO_REMOTE"
    RECEIVED_BY_REMOTE = "RECEIVED_BY_REMOTE"
    ACCEPTED_BY_REMOTE = "ACCEPTED_BY_REMOTE"
    REFUSED_BY_REMOTE = "REFUSED_BY_REMOTE"
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"


class RemoteInvitationState(StrEnum):
    """Callee-side invitation states (spec §1.5)."""

    INVITATION_RECEIVED = "INVITATION_RECEIVED"
    ACCEPT_SENT_TO_LOCAL = "ACCEPT_SENT_TO_LOCAL"
    REFUSED = "REFUSED"
    ACCEPTED = "ACCEPTED"
    CANCELED = "CANCELED"
    FAILURE = "FAILURE"


class LocalInvitationFailureReason(StrEnum):
    """Why a sent invitation failed on the caller's side (spec §1.5)."""

    UNKNOWN = "UNKNOWN"
    PEER_OFFLINE = "PEER_OFFLINE"
    PEER_NO_RESPONSE = "PEER_NO_RESPONSE"
    INVITATION_EXPIRE = "INVITATION_EXPIRE"
    NOT_LOGGEDIN = "NOT_LOGGEDIN"


class RemoteInvitationFailureReason(StrEnum):
    """Why a received invitation failed on the callee's side (spec §1.5)."""

    UNKNOWN = "UNKNOWN"
    PEER_OFFLINE = "PEER_OFFLINE"
    ACCEPT_FAILURE = "ACCEPT_FAILURE"
    INVITATION_EXPIRE = "INVITATION_EXPIRE"


# --- per-operation error codes (spec §4) ----------------------------------------------------


class LoginError(IntEnum):
    """``LOGIN_ERR_*`` (spec §4.1)."""

    UNKNOWN = 1
    REJECTED = 2
    INVALID_ARGUMENT = 3
    INVALID_APP_ID = 4
    INVALID_TOKEN = 5
    TOKEN_EXPIRED = 6
    NOT_AUTHORIZED = 7
    ALREADY_LOGIN = 8
    TIMEOUT = 9
    TOO_OFTEN = 10
    NOT_INITIALIZED = 101
    ABORTED_BY_LOGOUT = 201


class LogoutError(IntEnum):
    """``LOGOUT_ERR_*`` (spec §4.2)."""

    REJECTED = 1
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class RenewTokenError(IntEnum):
    """``RENEW_TOKEN_ERR_*`` (spec §4.3)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    REJECTED = 3
    TOO_OFTEN = 4
    TOKEN_EXPIRED = 5
    INVALID_TOKEN = 6
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102
    ABORTED_BY_LOGOUT = 201


class PeerMessageError(IntEnum):
    """``PEER_MESSAGE_ERR_*`` (spec §4.4)."""

    FAILURE = 1
    TIMEOUT = 2
    PEER_UNREACHABLE = 3
    CACHED_BY_SERVER = 4
    TOO_OFTEN = 5
    INVALID_USERID = 6
    INVALID_MESSAGE = 7
    INCOMPATIBLE_MESSAGE = 8
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class JoinChannelError(IntEnum):
    """``JOIN_CHANNEL_ERR_*`` (spec §4.5; Agora spells code 4 ``JOIN_CHANNEL_TIMEOUT``)."""

    FAILURE = 1
    REJECTED = 2
    INVALID_ARGUMENT = 3
    TIMEOUT = 4
    EXCEED_LIMIT = 5
    ALREADY_JOINED = 6
    TOO_OFTEN = 7
    JOIN_SAME_CHANNEL_TOO_OFTEN = 8
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102
    ABORTED_BY_LEAVE = 201
    ALREADY_JOINED_CHANNEL_OF_SAME_ID = 202


class LeaveChannelError(IntEnum):
    """``LEAVE_CHANNEL_ERR_*`` (spec §4.6)."""

    FAILURE = 1
    REJECTED = 2
    NOT_IN_CHANNEL = 3
    KICKED = 4
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class ChannelMessageError(IntEnum):
    """``CHANNEL_MESSAGE_ERR_*`` (spec §4.7)."""

    FAILURE = 1
    TIMEOUT = 2
    TOO_OFTEN = 3
    INVALID_MESSAGE = 4
    NOT_IN_CHANNEL = 5
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class GetMembersError(IntEnum):
    """``GET_MEMBERS_ERR_*`` (spec §4.8)."""

    FAILURE = 1
    REJECTED = 2
    TIMEOUT = 3
    TOO_OFTEN = 4
    NOT_IN_CHANNEL = 5
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class QueryPeersOnlineStatusError(IntEnum):
    """``QUERY_PEERS_ONLINE_STATUS_ERR_*`` (spec §4.9)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    REJECTED = 3
    TIMEOUT = 4
    TOO_OFTEN = 5
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class PeerSubscriptionStatusError(IntEnum):
    """``PEER_SUBSCRIPTION_STATUS_ERR_*`` (spec §4.10)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    REJECTED = 3
    TIMEOUT = 4
    TOO_OFTEN = 5
    OVERFLOW = 6
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class QueryPeersBySubscriptionOptionError(IntEnum):
    """``QUERY_PEERS_BY_SUBSCRIPTION_OPTION_ERR_*`` (spec §4.11)."""

    FAILURE = 1
    TIMEOUT = 2
    TOO_OFTEN = 3
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class AttributeOperationError(IntEnum):
    """``ATTRIBUTE_OPERATION_ERR_*``, user and channel attributes (spec §4.12)."""

    NOT_READY = 1
    FAILURE = 2
    INVALID_ARGUMENT = 3
    SIZE_OVERFLOW = 4
    TOO_OFTEN = 5
    USER_NOT_FOUND = 6
    TIMEOUT = 7
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class GetChannelMemberCountError(IntEnum):
    """``GET_CHANNEL_MEMBER_COUNT_ERR_*`` (spec §4.13)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    TOO_OFTEN = 3
    TIMEOUT = 4
    EXCEED_LIMIT = 5
    NOT_INITIALIZED = 101
    USER_NOT_LOGGED_IN = 102


class InvitationApiCallError(IntEnum):
    """``INVITATION_API_CALL_ERR_*`` (spec §4.14)."""

    INVALID_ARGUMENT = 1
    NOT_STARTED = 2
    ALREADY_END = 3
    ALREADY_ACCEPT = 4
    ALREADY_SENT = 5
    # openrtm's own, on the wire only (``docs/protocol.md`` §3.21): the invitation frames' answer
    # when the session has not logged in (102, as every other operation's), and a session
    # with too many invitations in flight. The SDK turns them into ``LocalInvitationFailure``.
    NOT_LOGGED_IN = 102
    EXCEED_LIMIT = 103


class ProtocolError(IntEnum):
    """openrtm's own code for a frame that names no known operation (``docs/protocol.md``).

    A frame whose operation is known is refused with that operation's own codes instead.
    """

    INVALID_ARGUMENT = 1


class CreateInstanceError(IntEnum):
    """``CREATE_INSTANCE_ERR_*`` (spec §4.15)."""

    INVALID_ARGUMENT = 1


class CreateChannelError(IntEnum):
    """``CREATE_CHANNEL_ERR_*`` (spec §4.15)."""

    INVALID_ARGUMENT = 1


class UploadMediaError(IntEnum):
    """``UPLOAD_MEDIA_ERR_*`` (spec §4.16)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    TIMEOUT = 3
    SIZE_OVERFLOW = 4
    CONCURRENCY_LIMIT_EXCEEDED = 5
    INTERRUPTED = 6
    NOT_INITIALIZED = 101
    NOT_LOGGED_IN = 102


class DownloadMediaError(IntEnum):
    """``DOWNLOAD_MEDIA_ERR_*`` (spec §4.16)."""

    FAILURE = 1
    INVALID_ARGUMENT = 2
    TIMEOUT = 3
    NOT_EXIST = 4
    CONCURRENCY_LIMIT_EXCEEDED = 5
    INTERRUPTED = 6
    NOT_INITIALIZED = 101
    NOT_LOGGED_IN = 102


# Spec §1.8: the Web SDK rejects with an Error whose ``name`` is one of a few classes. Which
# class a code belongs to follows from its constant name; the first matching rule wins.
_WEB_ERROR_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("TIMEOUT",), "RtmTimeoutError"),
    (
        ("INVALID_TOKEN", "TOKEN_EXPIRED", "INVALID_APP_ID", "NOT_AUTHORIZED"),
        "RtmUnauthenticatedError",
    ),
    (
        (
            "INVALID_ARGUMENT",
            "INVALID_USERID",
            "INVALID_MESSAGE",
            "INCOMPATIBLE_MESSAGE",
            "NOT_EXIST",
        ),
        "RtmInvalidArgumentError",
    ),
    (("TOO_OFTEN",), "RtmLimitExceededError"),
    (("EXCEED_LIMIT", "OVERFLOW", "CONCURRENCY_LIMIT_EXCEEDED"), "RtmLimitExceededError"),
    (("UNKNOWN",), "RtmUnknownError"),
    (("FAILURE", "REJECTED", "NOT_READY"), "RtmUnavailableError"),
)
# Login and renewToken call frequency is reported as "invoked too often" (spec §1.8). Keyed by
# enum and name: IntEnum members of different enums compare equal when their values do.
_INVOKE_TOO_OFTEN = frozenset({(LoginError, "TOO_OFTEN"), (RenewTokenError, "TOO_OFTEN")})


def web_error_name(code: IntEnum) -> str:
    """Return the Web SDK error class name for a per-operation error code (spec §1.8).

    State errors (not logged in, already joined, invitation already ended, ...) are
    ``RtmInvalidStatusError``; the rest follow the rule table above.
    """
    if (type(code), code.name) in _INVOKE_TOO_OFTEN:
        return "RtmInvokeTooOftenError"
    name = code.name
    for suffixes, web_name in _WEB_ERROR_RULES:
        if any(name == s or name.endswith("_" + s) for s in suffixes):
            return web_name
    return "RtmInvalidStatusError"


# --- close codes ------------------------------------------------------------------------------


class CloseCode(IntEnum):
    """WebSocket close codes the server ends a connection with (``docs/protocol.md``).

    1000–1015 are RFC 6455's; 4000–4999 are openrtm's own.
    """

    NORMAL = 1000  # after logout
    GOING_AWAY = 1001  # the server is shutting down
    PROTOCOL_ERROR = 1002  # a WebSocket-level violation (RFC 6455), e.g. broken fragmentation
    MESSAGE_TOO_BIG = 1009  # a frame over the maximum frame size
    INTERNAL_ERROR = 1011  # a server fault; safe to retry
    SERVICE_RESTART = 1012  # the server is restarting
    TRY_AGAIN_LATER = 1013  # the server is overloaded
    REMOTE_LOGIN = 4001  # the same uid logged in from another connection
    TOKEN_EXPIRED = 4002  # the login token's deadline passed
    BANNED = 4003  # the server banned this login
    LOGIN_TIMEOUT = 4004  # no login request within the login deadline
    SLOW_CONSUMER = 4005  # the client did not read its frames fast enough
    PROTOCOL_VIOLATION = 4006  # the client broke the protocol beyond a per-request error


@dataclass(frozen=True, slots=True)
class ClosePolicy:
    """What an SDK does when its connection is closed with a given code.

    Attributes:
        reconnect: retry with backoff (RECONNECTING) instead of stopping (ABORTED; the
            client's transition table, spec §3.2, gives the state).
        reason: the ``ConnectionChangeReason`` reported with the new state.
    """

    reconnect: bool
    reason: ConnectionChangeReason


_RETRY = ClosePolicy(True, ConnectionChangeReason.INTERRUPTED)
_STOP = ClosePolicy(False, ConnectionChangeReason.INTERRUPTED)

# Spec §3.2: kicks stop with their own reason; server-side trouble is retried; anything else
# ("unknown server kicks") stops with INTERRUPTED, as the Web SDK does.
CLOSE_POLICIES: dict[int, ClosePolicy] = {
    CloseCode.NORMAL: ClosePolicy(False, ConnectionChangeReason.LOGOUT),
    CloseCode.GOING_AWAY: _RETRY,
    CloseCode.PROTOCOL_ERROR: _STOP,
    CloseCode.MESSAGE_TOO_BIG: _STOP,
    CloseCode.INTERNAL_ERROR: _RETRY,
    CloseCode.SERVICE_RESTART: _RETRY,
    CloseCode.TRY_AGAIN_LATER: _RETRY,
    CloseCode.REMOTE_LOGIN: ClosePolicy(False, ConnectionChangeReason.REMOTE_LOGIN),
    CloseCode.TOKEN_EXPIRED: ClosePolicy(False, ConnectionChangeReason.TOKEN_EXPIRED),
    CloseCode.BANNED: ClosePolicy(False, ConnectionChangeReason.BANNED_BY_SERVER),
    CloseCode.LOGIN_TIMEOUT: _RETRY,
    CloseCode.SLOW_CONSUMER: _RETRY,
    CloseCode.PROTOCOL_VIOLATION: _STOP,
}


def close_policy(code: int | None) -> ClosePolicy:
    """Return what to do after a close with ``code``; a lost link (no code) is retried."""
    if code is None:
        return _RETRY
    return CLOSE_POLICIES.get(code, _STOP)
