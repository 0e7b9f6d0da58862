"""The media transfers of the HTTP face, sans I/O: what the server answers (spec §1.2, §4.16).

FILE and IMAGE messages (spec §1.6, ≤ 1.4.x) refer to an object uploaded beforehand with
``POST /media`` and downloaded with ``GET /media/{id}`` (``docs/protocol.md``, "Media"). Both
need the login session's media ticket (:attr:`~openrtm.protocol.messages.LoginResult.media_ticket`)
as ``Authorization: Bearer <ticket>``. The server and the Python SDK share these shapes.
"""

from __future__ import annotations

from enum import IntEnum

import msgspec

from openrtm.protocol.codes import DownloadMediaError, UploadMediaError, web_error_name

__all__ = [
    "CONTENT_TYPES_WITH_SIZES",
    "MEDIA_PATH",
    "MediaErrorBody",
    "UploadResult",
    "error_body",
]

MEDIA_PATH = "media"
"""The path of the media endpoints under the HTTP face's base URL."""

CONTENT_TYPES_WITH_SIZES = frozenset({"image/png", "image/jpeg", "image/gif", "image/bmp"})
"""The image types whose width and height the server reads at upload (spec §1.2)."""


class UploadResult(msgspec.Struct, kw_only=True, omit_defaults=True):
    """What ``POST /media`` answers (200).

    Attributes:
        media_id: the new object's id: unguessable, valid in its App only, for the retention
            period (spec §5.2: 7 days).
        size: its size in bytes.
        content_type: its MIME type sniffed from its first bytes
            (``application/octet-stream`` when unknown); downloads are served with it.
        width: a PNG, JPEG, GIF or BMP image's width in pixels, read from its header.
        height: its height in pixels.
    """

    media_id: str
    size: int
    content_type: str
    width: int | None = None
    height: int | None = None


class MediaErrorBody(msgspec.Struct, kw_only=True):
    """The JSON body of every refused media request.

    Attributes:
        code: the code of spec §4.16 (``UploadMediaError`` for uploads, ``DownloadMediaError``
            for downloads); the SDK raises it as is.
        name: the Web SDK's error class name for the code (spec §1.8).
        message: what went wrong, for people; never exception text.
    """

    code: int
    name: str
    message: str


def error_body(code: UploadMediaError | DownloadMediaError | IntEnum, message: str) -> bytes:
    """The encoded :class:`MediaErrorBody` for ``code``."""
    return msgspec.json.encode(
        MediaErrorBody(code=int(code), name=web_error_name(code), message=message)
    )
