"""Bytes to frames and back, with no I/O (design §2: the sans-I/O protocol layer).

A frame is decoded and validated in one msgspec call. When that fails, a second, lenient look
at the bytes recovers the request's ``id`` and ``op`` where it can, so that the refusal can be
addressed to the request and carry the operation's own invalid-argument code.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Any, get_args

import msgspec

from openrtm.protocol import attributes as attr
from openrtm.protocol import invitations as inv
from openrtm.protocol import messages as msg
from openrtm.protocol import presence as pres
from openrtm.protocol.codes import web_error_name
from openrtm.protocol.messages import ClientMessage, ErrorReply, ServerFrame

# Every frame of the protocol, by direction: a tagged union decodes in one msgspec call.
ClientFrame = (
    msg.Login
    | msg.Logout
    | msg.RenewToken
    | msg.Ping
    | msg.SendPeerMessage
    | msg.Ack
    | msg.JoinChannel
    | msg.LeaveChannel
    | msg.SendChannelMessage
    | msg.GetMembers
    | pres.QueryOnline
    | pres.Subscribe
    | pres.Unsubscribe
    | pres.QuerySubscriptions
    | pres.GetMemberCounts
    | attr.SetUserAttributes
    | attr.UpdateUserAttributes
    | attr.DeleteUserAttributes
    | attr.ClearUserAttributes
    | attr.GetUserAttributes
    | attr.SetChannelAttributes
    | attr.UpdateChannelAttributes
    | attr.DeleteChannelAttributes
    | attr.ClearChannelAttributes
    | attr.GetChannelAttributes
    | inv.CallInvite
    | inv.CallCancel
    | inv.CallAnswer
    | inv.CallReceived
    | inv.CallAccepted
)
ServerFrameUnion = (
    msg.Reply
    | msg.ErrorReply
    | msg.PeerMessagePush
    | msg.ChannelMessagePush
    | msg.MemberJoinedPush
    | msg.MemberLeftPush
    | msg.MemberCountPush
    | msg.TokenExpiringPush
    | pres.PeerStatusPush
    | attr.ChannelAttributesPush
    | inv.CallInvitePush
    | inv.LocalCallPush
    | inv.RemoteCallPush
)

__all__ = [
    "DECODE_ERRORS",
    "REQUEST_TYPES",
    "ClientFrame",
    "FrameError",
    "ServerFrameUnion",
    "decode_frame",
    "decode_request",
    "decode_server_frame",
    "encode",
    "error_reply",
    "frame_error",
]

REQUEST_TYPES: dict[str, type[ClientMessage]] = {
    t.__struct_config__.tag: t for t in get_args(ClientFrame)
}

_encoder = msgspec.json.Encoder()
_request_decoder = msgspec.json.Decoder(ClientFrame)
_server_decoder = msgspec.json.Decoder(ServerFrameUnion)


class _Envelope(msgspec.Struct):
    id: Any = None
    op: Any = None


_envelope_decoder = msgspec.json.Decoder(_Envelope)


class FrameError(Exception):
    """A client frame that does not decode into a valid request.

    Attributes:
        request_id: the frame's integer ``id`` if one could be read, else None.
        request_type: the request class its ``op`` names, if the op is known.
        detail: what is wrong, for people.
    """

    def __init__(
        self, request_id: int | None, request_type: type[ClientMessage] | None, detail: str
    ) -> None:
        super().__init__(request_id, request_type, detail)
        self.request_id = request_id
        self.request_type = request_type
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


# Encode one frame (or result) to the bytes of a text frame: the encoder's own method, not a
# function around it, as it runs for every frame sent.
encode: Callable[[Any], bytes] = _encoder.encode


def decode_request(data: bytes | bytearray | memoryview) -> ClientMessage:
    """Decode and validate one client frame (a request, or an ack).

    Raises:
        FrameError: the bytes are not a valid request; carries what could be recovered.
    """
    try:
        return decode_frame(data)
    except DECODE_ERRORS as exc:
        raise frame_error(data, exc) from exc


# decode_request() in two parts, for the one caller that runs for every frame
# (Session.on_frame), which saves a Python call: the decoder's own method, which raises one
# of DECODE_ERRORS, and frame_error(), which turns that into the FrameError.
decode_frame: Callable[[bytes | bytearray | memoryview], ClientMessage] = _request_decoder.decode


def frame_error(data: bytes | bytearray | memoryview, exc: Exception) -> FrameError:
    """The FrameError for ``data``, which the decoder refused with ``exc``."""
    if isinstance(exc, msgspec.DecodeError):
        return _frame_error(data, exc)
    return FrameError(None, None, _UNREADABLE_DETAIL)


# msgspec raises these, not DecodeError, for invalid UTF-8 inside a JSON string and for
# nesting deeper than the interpreter's recursion limit.
_UNREADABLE = (UnicodeDecodeError, RecursionError)
DECODE_ERRORS = (msgspec.DecodeError, *_UNREADABLE)  # what decode_frame() raises
_UNREADABLE_DETAIL = "malformed frame: invalid UTF-8 or nested too deep"
_INVALID_UTF8 = "Invalid UTF-8"


def _frame_error(data: bytes | bytearray | memoryview, exc: msgspec.DecodeError) -> FrameError:
    if str(exc).startswith(_INVALID_UTF8):
        # msgspec 0.23 and later report invalid UTF-8 as a DecodeError, the older ones as a
        # UnicodeDecodeError: one answer for both (docs/protocol.md: code 1, id null).
        return FrameError(None, None, _UNREADABLE_DETAIL)
    try:
        envelope = _envelope_decoder.decode(data)
    except msgspec.DecodeError:
        return FrameError(None, None, "malformed frame: not a JSON object")
    except _UNREADABLE:
        return FrameError(None, None, _UNREADABLE_DETAIL)
    request_id = envelope.id if type(envelope.id) is int else None
    op = envelope.op
    if not isinstance(op, str):
        return FrameError(request_id, None, "malformed frame: missing string field 'op'")
    request_type = REQUEST_TYPES.get(op)
    if request_type is None:
        return FrameError(request_id, None, f"unknown operation {op[:64]!r}")
    # msgspec's messages name the field and the expected type ("Expected `str`, got `int` -
    # at `$.uid`"); they say nothing of the server's internals, so they may go to the client.
    # Cut: msgspec quotes the offending value, which may be as large as the frame.
    return FrameError(request_id, request_type, f"invalid {op} request: {str(exc)[:200]}")


def error_reply(request_id: int | None, code: IntEnum, message: str) -> ErrorReply:
    """Build the refusal of a request with a per-operation code (spec §4, §1.8)."""
    return ErrorReply(id=request_id, code=int(code), name=web_error_name(code), message=message)


def decode_server_frame(data: bytes | memoryview) -> ServerFrame:
    """Decode one frame from the server (used by the SDK).

    Raises:
        msgspec.DecodeError: the bytes are not a frame this protocol version knows.
    """
    frame: ServerFrame = _server_decoder.decode(data)
    return frame
