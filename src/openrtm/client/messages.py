"""Messages as the app sees them (spec §1.6): ``RtmMessage`` and its companions.

An app may pass a :class:`RtmMessage`, a plain string (a TEXT message) or a dict in the Web
SDK's shape (``{"text": ...}``, ``{"rawMessage": b"...", "description": ...}``, optionally
with ``"messageType"``); :func:`to_wire` turns any of them into the protocol's ``Message`` or
says why it cannot be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openrtm.protocol.codes import MessageType
from openrtm.protocol.limits import message_error
from openrtm.protocol.messages import Message

__all__ = [
    "PeerMessageSendResult",
    "ReceivedMessageProperties",
    "RtmMessage",
    "SendMessageOptions",
    "from_wire",
    "to_wire",
]


@dataclass(slots=True)
class RtmMessage:
    """A message (spec §1.6): TEXT carries ``text``; RAW carries ``raw_message`` bytes and an
    optional ``description``.

    ``message_type`` may be omitted: it is RAW when ``raw_message`` is given, TEXT when
    ``text`` is.
    """

    text: str | None = None
    raw_message: bytes | None = None
    description: str = ""
    message_type: str | None = None

    def __post_init__(self) -> None:
        if self.message_type is None:
            if self.raw_message is not None:
                self.message_type = MessageType.RAW.value
            elif self.text is not None:
                self.message_type = MessageType.TEXT.value


@dataclass(frozen=True, slots=True)
class ReceivedMessageProperties:
    """What comes with a received message (spec §1.6).

    Attributes:
        server_received_ts: when the server received it, ms since the epoch (display only).
        is_offline_message: it was stored while this user was offline (spec §6.2).
    """

    server_received_ts: int
    is_offline_message: bool = False


@dataclass(frozen=True, slots=True)
class SendMessageOptions:
    """Per-message options of ``send_message_to_peer`` (spec §1.6, 1.4.x).

    Attributes:
        enable_offline_messaging: store the message if the peer is offline (spec §6.2).
        enable_historical_messaging: archive it for the REST history API (spec §6.3).
    """

    enable_offline_messaging: bool = False
    enable_historical_messaging: bool = False

    @classmethod
    def coerce(cls, options: SendMessageOptions | dict[str, Any] | None) -> SendMessageOptions:
        """Accept options as this class, a dict (snake_case or the Web's camelCase) or None."""
        if options is None or isinstance(options, SendMessageOptions):
            return options or cls()
        return cls(
            enable_offline_messaging=bool(
                options.get("enable_offline_messaging", options.get("enableOfflineMessaging"))
            ),
            enable_historical_messaging=bool(
                options.get("enable_historical_messaging", options.get("enableHistoricalMessaging"))
            ),
        )


@dataclass(frozen=True, slots=True)
class PeerMessageSendResult:
    """The result of ``send_message_to_peer`` (spec §6.1).

    Attributes:
        has_peer_received: the peer's SDK acknowledged the message; False when the peer is
            offline (and the message was stored, if offline messaging was asked for).
    """

    has_peer_received: bool


def to_wire(message: RtmMessage | str | dict[str, Any]) -> Message | str:
    """Return the protocol message for ``message``, or why it is not a valid message."""
    if isinstance(message, str):
        message = RtmMessage(text=message)
    elif isinstance(message, dict):
        message = RtmMessage(
            text=message.get("text"),
            raw_message=message.get("rawMessage", message.get("raw_message")),
            description=message.get("description") or "",
            message_type=message.get("messageType", message.get("message_type")),
        )
    if not isinstance(message, RtmMessage):
        return "a message is an RtmMessage, a string or a dict"
    kind = message.message_type
    if kind == MessageType.TEXT:
        if not isinstance(message.text, str):
            return "a TEXT message needs text"
        if message.raw_message is not None or message.description:
            return "a TEXT message carries no raw_message or description"
        wire = Message(type=MessageType.TEXT, text=message.text)
    elif kind == MessageType.RAW:
        raw = message.raw_message
        if not isinstance(raw, bytes | bytearray | memoryview):
            return "a RAW message needs raw_message bytes"
        if not isinstance(message.description, str):
            return "a description is a string"
        if message.text is not None:
            return "a RAW message carries no text"
        wire = Message(type=MessageType.RAW, raw=bytes(raw), description=message.description)
    elif kind in (MessageType.FILE, MessageType.IMAGE):
        return f"{kind} messages are not supported yet"
    else:
        return "a message needs text or raw_message"
    return message_error(wire) or wire


def from_wire(msg: Message) -> RtmMessage:
    """Build the ``RtmMessage`` an app receives (spec §1.6: TEXT or RAW)."""
    if msg.type is MessageType.RAW:
        return RtmMessage(
            raw_message=msg.raw or b"", description=msg.description, message_type="RAW"
        )
    return RtmMessage(text=msg.text, message_type=msg.type.value)
