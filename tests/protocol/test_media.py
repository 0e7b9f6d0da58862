"""FILE and IMAGE message bodies and the media HTTP shapes, pure (spec §1.6, §4.16, §5.2)."""

from __future__ import annotations

import msgspec
import pytest

from openrtm.protocol.codec import decode_frame, encode
from openrtm.protocol.codes import DownloadMediaError, MessageType, UploadMediaError
from openrtm.protocol.limits import (
    MAX_MESSAGE_BYTES,
    is_valid_media_id,
    media_message_size,
    message_error,
)
from openrtm.protocol.media import MediaErrorBody, error_body
from openrtm.protocol.messages import Media, Message, SendPeerMessage

MEDIA_ID = "Lfsp4wD49UZKSU4GEqN5ar73_zoASjYF"


def image(**fields: object) -> Message:
    media = Media(id=MEDIA_ID, name="a.png", size=10, width=3, height=2, **fields)  # type: ignore[arg-type]
    return Message(type=MessageType.IMAGE, description="d", media=media)


def test_a_media_message_round_trips_and_omits_defaults() -> None:
    frame = SendPeerMessage(id=1, to="bob", mid="m1", msg=image(thumb=b"\x00\xff"))
    data = encode(frame)
    assert b'"thumb":"AP8="' in data  # bytes travel as base64
    assert b"thumb_width" not in data  # defaults are omitted
    assert decode_frame(data) == frame
    text = encode(SendPeerMessage(id=1, to="bob", mid="m1", msg=Message(text="hi")))
    assert b"media" not in text  # TEXT pays nothing on the wire


@pytest.mark.parametrize(
    ("msg", "problem"),
    [
        (image(), None),
        (Message(type=MessageType.FILE, media=Media(id=MEDIA_ID)), None),
        (Message(type=MessageType.FILE), "a FILE message carries media"),
        (Message(type=MessageType.IMAGE, text="x", media=Media(id=MEDIA_ID)), "carries media"),
        (Message(type=MessageType.FILE, raw=b"x", media=Media(id=MEDIA_ID)), "carries media"),
        (Message(type=MessageType.FILE, media=Media(id="short")), "invalid media id"),
        (Message(type=MessageType.FILE, media=Media(id="../" * 8)), "invalid media id"),
        (
            Message(type=MessageType.FILE, media=Media(id=MEDIA_ID, width=5)),
            "a FILE message has no image sizes",
        ),
        (Message(text="x", media=Media(id=MEDIA_ID)), "a TEXT message carries text only"),
        (Message(type=MessageType.RAW, raw=b"x", media=Media(id=MEDIA_ID)), "RAW message"),
    ],
)
def test_media_messages_are_checked(msg: Message, problem: str | None) -> None:
    found = message_error(msg)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


def test_name_description_and_thumbnail_share_32_kb() -> None:
    name, description = "n" * 1000, "é" * 1000  # 2,000 bytes of UTF-8
    room = MAX_MESSAGE_BYTES - 1000 - 2000
    assert media_message_size(name, description, bytes(room)) == MAX_MESSAGE_BYTES
    fits = Message(
        type=MessageType.FILE,
        description=description,
        media=Media(id=MEDIA_ID, name=name, thumb=bytes(room)),
    )
    assert message_error(fits) is None
    over = msgspec.structs.replace(fits, media=Media(id=MEDIA_ID, name=name, thumb=bytes(room + 1)))
    assert message_error(over) == "file name, description and thumbnail over 32 KB"


def test_negative_sizes_do_not_decode() -> None:
    data = (
        b'{"op":"peer_msg","id":1,"to":"b","mid":"m","msg":{"type":"IMAGE",'
        b'"media":{"id":"' + MEDIA_ID.encode() + b'","width":-1}}}'
    )
    with pytest.raises(msgspec.ValidationError):
        decode_frame(data)


@pytest.mark.parametrize(
    ("media_id", "valid"),
    [(MEDIA_ID, True), ("a" * 16, True), ("a" * 64, True), ("a" * 15, False), ("a" * 65, False),
     ("a/" * 10, False), ("a." * 10, False), (None, False), (b"a" * 20, False)],
)  # fmt: skip
def test_media_ids(media_id: object, valid: bool) -> None:
    assert is_valid_media_id(media_id) is valid


def test_error_bodies_carry_the_code_and_the_web_class_name() -> None:
    decoded = msgspec.json.decode(error_body(UploadMediaError.SIZE_OVERFLOW, "big"))
    assert decoded == {"code": 4, "name": "RtmLimitExceededError", "message": "big"}
    body = msgspec.json.decode(
        error_body(DownloadMediaError.NOT_EXIST, "gone"), type=MediaErrorBody
    )
    assert (body.code, body.name) == (4, "RtmInvalidArgumentError")
    assert msgspec.json.decode(error_body(UploadMediaError.INTERRUPTED, "x"))["name"] == (
        "RtmInvalidStatusError"
    )
    assert msgspec.json.decode(error_body(UploadMediaError.TIMEOUT, "x"))["name"] == (
        "RtmTimeoutError"
    )
