"""Messages as the app sees them (spec §1.6): ``RtmMessage`` and its companions.

An app may pass a :class:`RtmMessage`, a plain string (a TEXT message) or a dict in the Web
SDK's shape (``{"text": ...}``, ``{"rawMessage": b"...", "description": ...}``, FILE and
IMAGE as ``{"messageType": "FILE", "mediaId": ..., "fileName": ..., ...}``, optionally with
``"messageType"``); :func:`to_wire` turns any of them into the protocol's ``Message`` or says
why it cannot be sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from openrtm.protocol.codes import MessageType
from openrtm.protocol.limits import message_error
from openrtm.protocol.messages import Media, Message

__all__ = [
    "PeerMessageSendResult",
    "ReceivedMessageProperties",
    "RtmMessage",
    "SendMessageOptions",
    "from_dict",
    "from_wire",
    "to_wire",
]


@dataclass(slots=True)
class RtmMessage:
    """A message (spec §1.6): TEXT carries ``text``; RAW carries ``raw_message`` bytes and an
    optional ``description``; FILE and IMAGE (≤ 1.4.x) refer to an uploaded object by
    ``media_id`` and carry ``file_name``, ``size``, ``description`` and ``thumbnail`` (bytes
    or None), IMAGE also ``width``, ``height``, ``thumbnail_width`` and ``thumbnail_height``
    (pixels, 0 when unknown).

    ``message_type`` may be omitted: it is RAW when ``raw_message`` is given, TEXT when
    ``text`` is. FILE and IMAGE messages come from
    ``RtmClient.create_media_message_by_uploading`` or ``RtmClient.create_message``.
    """

    text: str | None = None
    raw_message: bytes | None = None
    description: str = ""
    message_type: str | None = None
    media_id: str | None = None
    file_name: str = ""
    size: int = 0
    thumbnail: bytes | None = None
    width: int = 0
    height: int = 0
    thumbnail_width: int = 0
    thumbnail_height: int = 0

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


def from_dict(message: dict[str, Any]) -> RtmMessage:
    """Build an ``RtmMessage`` from a dict in the Web SDK's shape (camelCase) or snake_case.

    What ``createMessage`` does (spec §1.2); nothing is checked here: a message that is not
    valid is refused when sent.
    """

    def get(camel: str, snake: str, default: Any = None) -> Any:
        return message.get(camel, message.get(snake, default))

    return RtmMessage(
        text=message.get("text"),
        raw_message=get("rawMessage", "raw_message"),
        description=message.get("description") or "",
        message_type=get("messageType", "message_type"),
        media_id=get("mediaId", "media_id"),
        file_name=get("fileName", "file_name", ""),
        size=message.get("size", 0),
        thumbnail=message.get("thumbnail"),
        width=message.get("width", 0),
        height=message.get("height", 0),
        thumbnail_width=get("thumbnailWidth", "thumbnail_width", 0),
        thumbnail_height=get("thumbnailHeight", "thumbnail_height", 0),
    )


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _media_to_wire(message: RtmMessage, kind: MessageType) -> Message | str:
    """The protocol message of a FILE or IMAGE ``RtmMessage``, or why it is not valid."""
    if not isinstance(message.media_id, str):
        return f"a {kind} message needs a media_id"
    if message.text is not None or message.raw_message is not None:
        return f"a {kind} message carries no text or raw_message"
    if not isinstance(message.file_name, str) or not isinstance(message.description, str):
        return "file_name and description are strings"
    thumbnail = message.thumbnail
    if thumbnail is not None and not isinstance(thumbnail, bytes | bytearray | memoryview):
        return "a thumbnail is bytes"
    sizes = (
        message.size,
        message.width,
        message.height,
        message.thumbnail_width,
        message.thumbnail_height,
    )
    if not all(_is_count(n) for n in sizes):
        return "size, width and height are non-negative integers"
    image = kind is MessageType.IMAGE
    media = Media(
        id=message.media_id,
        name=message.file_name,
        size=message.size,
        thumb=None if thumbnail is None else bytes(thumbnail),
        width=message.width if image else 0,
        height=message.height if image else 0,
        thumb_width=message.thumbnail_width if image else 0,
        thumb_height=message.thumbnail_height if image else 0,
    )
    return Message(type=kind, description=message.description, media=media)


def to_wire(message: RtmMessage | str | dict[str, Any]) -> Message | str:
    """Return the protocol message for ``message``, or why it is not a valid message."""
    if isinstance(message, str):
        message = RtmMessage(text=message)
    elif isinstance(message, dict):
        message = from_dict(message)
    if not isinstance(message, RtmMessage):
        return "a message is an RtmMessage, a string or a dict"
    kind = message.message_type
    if kind == MessageType.TEXT:
        if not isinstance(message.text, str):
            return "a TEXT message needs text"
        if message.raw_message is not None or message.description:
            return "a TEXT message carries no raw_message or description"
        wire: Message | str = Message(type=MessageType.TEXT, text=message.text)
    elif kind == MessageType.RAW:
        raw = message.raw_message
        if not isinstance(raw, bytes | bytearray | memoryview):
            return "a RAW message needs raw_message bytes"
        if not isinstance(message.description, str):
            return "a description is a string"
        if message.text is not None:
            return "a RAW message carries no text"
        wire = Message(type=MessageType.RAW, raw=bytes(raw), description=message.description)
    elif kind == MessageType.FILE:
        wire = _media_to_wire(message, MessageType.FILE)
    elif kind == MessageType.IMAGE:
        wire = _media_to_wire(message, MessageType.IMAGE)
    else:
        return "a message needs text or raw_message"
    if isinstance(wire, str):
        return wire
    return message_error(wire) or wire


def from_wire(msg: Message) -> RtmMessage:
    """Build the ``RtmMessage`` an app receives (spec §1.6)."""
    kind = msg.type
    if kind is MessageType.RAW:
        return RtmMessage(
            raw_message=msg.raw or b"", description=msg.description, message_type="RAW"
        )
    media = msg.media
    if media is not None and (kind is MessageType.FILE or kind is MessageType.IMAGE):
        return RtmMessage(
            description=msg.description,
            message_type=kind.value,
            media_id=media.id,
            file_name=media.name,
            size=media.size,
            thumbnail=media.thumb,
            width=media.width,
            height=media.height,
            thumbnail_width=media.thumb_width,
            thumbnail_height=media.thumb_height,
        )
    return RtmMessage(text=msg.text, message_type=kind.value)
