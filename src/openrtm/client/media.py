"""The SDK's media transfers: FILE and IMAGE messages (spec §1.2, §1.6, §4.16, §5.2; ≤ 1.4.x).

An upload streams a file or a bytes object to the server's HTTP face (``POST /media``) and
resolves with the FILE or IMAGE :class:`~openrtm.client.messages.RtmMessage` to send; a
download streams ``GET /media/{id}`` into memory or into a file. Both authenticate with the
login session's media ticket, at most 9 run at once per client (checked before any I/O),
report :class:`MediaOperationProgress` about once a second while bytes move, fail with
TIMEOUT (3) after ``media_stall_timeout`` seconds (spec §4.17: 120) without a byte moving, and
stop with INTERRUPTED (6) when the handler's ``cancel_signal`` is set. Cancelling the task
that awaits a transfer also stops it; the task then ends cancelled, as asyncio expects.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import aiohttp
import msgspec

from openrtm.client.messages import RtmMessage
from openrtm.errors import RtmError, error_for, error_from_reply
from openrtm.protocol.codes import DownloadMediaError, MessageType, UploadMediaError
from openrtm.protocol.limits import (
    MAX_CONCURRENT_TRANSFERS,
    MAX_MESSAGE_BYTES,
    media_message_size,
)
from openrtm.protocol.media import MEDIA_PATH, MediaErrorBody, UploadResult

if TYPE_CHECKING:
    from openrtm.client.client import RtmClient

__all__ = [
    "MediaCalls",
    "MediaMessageParams",
    "MediaMethods",
    "MediaOperationProgress",
    "MediaTransferHandler",
]

log = logging.getLogger("openrtm.client")

T = TypeVar("T")
_CHUNK = 256 * 1024
_PROGRESS_EVERY = 1.0  # spec §1.6: "about once per second"
_error_decoder = msgspec.json.Decoder(MediaErrorBody)
_result_decoder = msgspec.json.Decoder(UploadResult)


@dataclass(frozen=True, slots=True)
class MediaOperationProgress:
    """How far a transfer is (spec §1.6 ``MediaOperationProgress``).

    Attributes:
        current_size: bytes moved so far.
        total_size: bytes to move in all.
    """

    current_size: int
    total_size: int


@dataclass(slots=True)
class MediaTransferHandler:
    """What an app gives a transfer (spec §1.6 ``MediaTransferHandler``).

    Attributes:
        on_operation_progress: called with a :class:`MediaOperationProgress` about once a
            second while bytes move, and once at the end; a function or a coroutine function.
        cancel_signal: set this event to stop the transfer: it fails with INTERRUPTED (6).
    """

    on_operation_progress: Callable[[MediaOperationProgress], object] | None = None
    cancel_signal: asyncio.Event | None = None

    @classmethod
    def coerce(cls, handler: MediaTransferHandler | dict[str, Any] | None) -> MediaTransferHandler:
        """Accept this class, a dict (the Web's camelCase or snake_case) or None.

        Raises:
            TypeError: for anything else, or a cancel signal that is not an asyncio.Event.
        """
        if handler is None:
            return cls()
        if isinstance(handler, dict):
            handler = cls(
                on_operation_progress=handler.get(
                    "onOperationProgress", handler.get("on_operation_progress")
                ),
                cancel_signal=handler.get("cancelSignal", handler.get("cancel_signal")),
            )
        if not isinstance(handler, MediaTransferHandler):
            raise TypeError("a handler is a MediaTransferHandler, a dict or None")
        progress, signal = handler.on_operation_progress, handler.cancel_signal
        if progress is not None and not callable(progress):
            raise TypeError("on_operation_progress must be callable")
        if signal is not None and not isinstance(signal, asyncio.Event):
            raise TypeError("cancel_signal must be an asyncio.Event")
        return handler


@dataclass(slots=True)
class MediaMessageParams:
    """The message an upload makes (the Web SDK's ``params``, typed; spec §1.6).

    Attributes:
        message_type: ``"FILE"`` or ``"IMAGE"``.
        file_name: the file name shown to receivers.
        description: free text.
        thumbnail: a thumbnail's bytes (also a bytearray or memoryview), or None.
        width: IMAGE: the width in pixels; 0: read from a PNG, JPEG, GIF or BMP header.
        height: IMAGE: the height in pixels; 0 likewise.
        thumbnail_width: IMAGE: the thumbnail's width in pixels.
        thumbnail_height: IMAGE: the thumbnail's height in pixels.
    """

    message_type: str = MessageType.FILE.value
    file_name: str = ""
    description: str = ""
    thumbnail: bytes | bytearray | memoryview | None = None
    width: int = 0
    height: int = 0
    thumbnail_width: int = 0
    thumbnail_height: int = 0

    @classmethod
    def coerce(cls, params: MediaMessageParams | dict[str, Any] | None) -> MediaMessageParams:
        """Accept this class, a dict in the Web's shape (or snake_case) or None (a FILE)."""
        if params is None:
            return cls()
        if isinstance(params, MediaMessageParams):
            return params
        if not isinstance(params, dict):
            raise TypeError("params are a MediaMessageParams or a dict")

        def get(camel: str, snake: str, default: Any) -> Any:
            return params.get(camel, params.get(snake, default))

        return cls(
            message_type=get("messageType", "message_type", MessageType.FILE.value),
            file_name=get("fileName", "file_name", ""),
            description=params.get("description") or "",
            thumbnail=params.get("thumbnail"),
            width=params.get("width", 0),
            height=params.get("height", 0),
            thumbnail_width=get("thumbnailWidth", "thumbnail_width", 0),
            thumbnail_height=get("thumbnailHeight", "thumbnail_height", 0),
        )

    def problem(self) -> str | None:
        """Why these params cannot make a message (spec §1.6, §5.2), or None."""
        if self.message_type not in (MessageType.FILE, MessageType.IMAGE):
            return "message_type is FILE or IMAGE"
        if not isinstance(self.file_name, str) or not isinstance(self.description, str):
            return "file_name and description are strings"
        if self.thumbnail is not None and not isinstance(
            self.thumbnail, bytes | bytearray | memoryview
        ):
            return "a thumbnail is bytes"
        sizes = (self.width, self.height, self.thumbnail_width, self.thumbnail_height)
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in sizes):
            return "width and height are non-negative integers"
        thumbnail = None if self.thumbnail is None else bytes(self.thumbnail)
        if media_message_size(self.file_name, self.description, thumbnail) > MAX_MESSAGE_BYTES:
            return "file name, description and thumbnail over 32 KB"
        return None


class _Transfer:
    """Progress of one transfer: bytes moved, and when they last moved."""

    def __init__(self, total: int) -> None:
        self.current = 0
        self.total = total
        self.moved_at = asyncio.get_running_loop().time()

    def moved(self, count: int) -> None:
        self.current += count
        self.moved_at = asyncio.get_running_loop().time()


class MediaCalls:
    """The media transfers of one client."""

    def __init__(self, client: RtmClient) -> None:
        self._client = client
        self._active = 0

    # --- upload ------------------------------------------------------------------------------

    async def upload(
        self,
        data_or_path: bytes | bytearray | memoryview | str | os.PathLike[str],
        params: MediaMessageParams | dict[str, Any] | None,
        handler: MediaTransferHandler | dict[str, Any] | None,
    ) -> RtmMessage:
        """``createMediaMessageByUploading`` (see :meth:`MediaMethods.create_media_...`)."""
        errors = UploadMediaError
        try:
            typed = MediaMessageParams.coerce(params)
            options = MediaTransferHandler.coerce(handler)
        except TypeError as exc:
            raise error_for(errors.INVALID_ARGUMENT, str(exc)) from None
        problem = typed.problem()
        if problem is not None:
            raise error_for(errors.INVALID_ARGUMENT, problem)
        if isinstance(data_or_path, bytes | bytearray | memoryview):
            whole = bytes(data_or_path)
            data: bytes | None = whole
            path = None
            total = len(whole)
        elif isinstance(data_or_path, str | os.PathLike):
            data, path = None, Path(data_or_path)
            try:
                total = path.stat().st_size
            except OSError as exc:
                raise error_for(errors.INVALID_ARGUMENT, f"cannot read {path}") from exc
        else:
            raise error_for(errors.INVALID_ARGUMENT, "data_or_path is bytes or a file path")
        if total == 0:
            raise error_for(errors.INVALID_ARGUMENT, "the object is empty")
        limit = self._client._config["media_max_bytes"]
        if total > limit:
            raise error_for(errors.SIZE_OVERFLOW, f"the object is over {limit} bytes")
        url, ticket = self._begin(errors)
        transfer = _Transfer(total)
        try:
            result = await self._run(
                self._post(url, ticket, data, path, transfer), transfer, options, errors
            )
        finally:
            self._active -= 1
        image = typed.message_type == MessageType.IMAGE
        return RtmMessage(
            message_type=typed.message_type,
            media_id=result.media_id,
            file_name=typed.file_name,
            size=result.size,
            description=typed.description,
            thumbnail=None if typed.thumbnail is None else bytes(typed.thumbnail),
            width=(typed.width or result.width or 0) if image else 0,
            height=(typed.height or result.height or 0) if image else 0,
            thumbnail_width=typed.thumbnail_width if image else 0,
            thumbnail_height=typed.thumbnail_height if image else 0,
        )

    async def _post(
        self, url: str, ticket: str, data: bytes | None, path: Path | None, transfer: _Transfer
    ) -> UploadResult:
        async def body() -> AsyncIterator[bytes]:
            if data is not None:
                for start in range(0, len(data), _CHUNK):
                    chunk = data[start : start + _CHUNK]
                    yield chunk
                    transfer.moved(len(chunk))
                return
            assert path is not None
            with open(path, "rb") as file:  # noqa: ASYNC230 -- a local file, read in chunks
                while chunk := file.read(_CHUNK):
                    yield chunk
                    transfer.moved(len(chunk))

        headers = {
            "Authorization": f"Bearer {ticket}",
            "Content-Type": "application/octet-stream",
            "Content-Length": str(transfer.total),
        }
        async with (
            aiohttp.ClientSession() as http,
            # Expect: 100-continue lets the server refuse (size, ticket, slots) before the body.
            http.post(url, data=body(), headers=headers, expect100=True) as response,
        ):
            payload = await response.read()
            if response.status != 200:
                raise _refusal(payload, UploadMediaError, response.status)
            return _result_decoder.decode(payload)

    # --- download ----------------------------------------------------------------------------

    async def download(
        self, media_id: str, handler: MediaTransferHandler | dict[str, Any] | None
    ) -> bytes:
        """``downloadMedia``: the whole object, in memory."""
        chunks: list[bytes] = []

        async def keep(chunk: bytes) -> None:
            chunks.append(chunk)

        await self._download(media_id, handler, lambda: keep)
        return b"".join(chunks)

    async def download_to_file(
        self,
        media_id: str,
        path: str | os.PathLike[str],
        handler: MediaTransferHandler | dict[str, Any] | None,
    ) -> None:
        """``downloadMediaToFile``: the object into ``path``, which appears only when whole."""
        errors = DownloadMediaError
        if not isinstance(path, str | os.PathLike):
            raise error_for(errors.INVALID_ARGUMENT, "path is a file path")
        target = Path(path)
        temp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        files: list[BinaryIO] = []

        def open_sink() -> Callable[[bytes], Awaitable[None]]:
            try:
                files.append(open(temp, "wb"))  # noqa: SIM115 -- closed below
            except OSError as exc:
                raise error_for(errors.INVALID_ARGUMENT, f"cannot write {target}") from exc

            async def write(chunk: bytes) -> None:
                files[0].write(chunk)

            return write

        try:
            await self._download(media_id, handler, open_sink)
            files[0].close()
            os.replace(temp, target)
        except BaseException:
            if files:
                files[0].close()
                with contextlib.suppress(OSError):
                    temp.unlink()
            raise

    async def _download(
        self,
        media_id: str,
        handler: MediaTransferHandler | dict[str, Any] | None,
        open_sink: Callable[[], Callable[[bytes], Awaitable[None]]],
    ) -> None:
        errors = DownloadMediaError
        try:
            options = MediaTransferHandler.coerce(handler)
        except TypeError as exc:
            raise error_for(errors.INVALID_ARGUMENT, str(exc)) from None
        if not isinstance(media_id, str) or not media_id:
            raise error_for(errors.INVALID_ARGUMENT, "a media id is a non-empty string")
        url, ticket = self._begin(errors)
        transfer = _Transfer(0)
        try:
            sink = open_sink()
            await self._run(
                self._get(f"{url}/{_quote(media_id)}", ticket, transfer, sink),
                transfer,
                options,
                errors,
            )
        finally:
            self._active -= 1

    async def _get(
        self,
        url: str,
        ticket: str,
        transfer: _Transfer,
        sink: Callable[[bytes], Awaitable[None]],
    ) -> None:
        headers = {"Authorization": f"Bearer {ticket}"}
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
            if response.status != 200:
                raise _refusal(await response.read(), DownloadMediaError, response.status)
            transfer.total = response.content_length or 0
            async for chunk in response.content.iter_any():
                await sink(chunk)
                transfer.moved(len(chunk))
            if transfer.current != transfer.total:
                raise error_for(DownloadMediaError.FAILURE, "the download was cut short")

    # --- shared ------------------------------------------------------------------------------

    def _begin(self, errors: type[UploadMediaError | DownloadMediaError]) -> tuple[str, str]:
        """Check the login and take a transfer slot (spec §5.2: at most 9); the media URL
        and the ticket."""
        client = self._client
        url, ticket = client.http_url, client.media_ticket
        if not client.logged_in or url is None or ticket is None:
            raise error_for(errors.NOT_LOGGED_IN, "not logged in")
        if self._active >= MAX_CONCURRENT_TRANSFERS:
            raise error_for(errors.CONCURRENCY_LIMIT_EXCEEDED, "9 transfers under way")
        self._active += 1
        return url + MEDIA_PATH, ticket

    async def _run(
        self,
        work: Coroutine[Any, Any, T],
        transfer: _Transfer,
        handler: MediaTransferHandler,
        errors: type[UploadMediaError | DownloadMediaError],
    ) -> T:
        """Run a transfer with its progress reports, its stall timeout and its cancel signal."""
        loop = asyncio.get_running_loop()
        task = loop.create_task(work)
        watch = loop.create_task(self._watch(transfer, handler))
        waiters: set[asyncio.Future[Any]] = {task, watch}
        signal = handler.cancel_signal
        cancelled = loop.create_task(signal.wait()) if signal is not None else None
        if cancelled is not None:
            waiters.add(cancelled)
        try:
            done, _ = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for other in waiters:
                other.cancel()
            # Also when our caller is cancelled: the transfer ends before we do.
            await asyncio.gather(*waiters, return_exceptions=True)
        if task in done and not task.cancelled():
            exc = task.exception()
            if exc is None:
                await self._report(handler, transfer)
                return task.result()
            if isinstance(exc, RtmError):
                raise exc
            if isinstance(exc, aiohttp.ClientError | OSError | msgspec.DecodeError):
                raise error_for(errors.FAILURE, "the transfer failed") from exc
            raise exc
        if cancelled is not None and cancelled in done:
            raise error_for(errors.INTERRUPTED, "cancelled")
        stall = self._client._config["media_stall_timeout"]
        raise error_for(errors.TIMEOUT, f"no progress for {stall:g} s")

    async def _watch(self, transfer: _Transfer, handler: MediaTransferHandler) -> None:
        """Report progress about once a second while bytes move; return on a stall."""
        loop = asyncio.get_running_loop()
        stall = self._client._config["media_stall_timeout"]
        tick = min(_PROGRESS_EVERY, stall / 4)
        reported, next_report = -1, loop.time() + _PROGRESS_EVERY
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            if now - transfer.moved_at >= stall:
                return
            # Spec §1.6: "paused while stalled": nothing new, no report.
            if now >= next_report and transfer.current != reported:
                reported, next_report = transfer.current, now + _PROGRESS_EVERY
                await self._report(handler, transfer)

    async def _report(self, handler: MediaTransferHandler, transfer: _Transfer) -> None:
        callback = handler.on_operation_progress
        if callback is None:
            return
        try:
            outcome = callback(MediaOperationProgress(transfer.current, transfer.total))
            if inspect.isawaitable(outcome):
                await outcome
        except Exception:
            log.exception("a media progress callback failed")


def _quote(media_id: str) -> str:
    return urllib.parse.quote(media_id, safe="")


def _refusal(payload: bytes, errors: type[IntEnum], status: int) -> RtmError:
    """The error a refused transfer raises: the server's code, or FAILURE."""
    try:
        body = _error_decoder.decode(payload)
    except msgspec.DecodeError:
        return error_for(errors["FAILURE"], f"the server answered HTTP {status}")
    return error_from_reply(body.code, body.name, body.message, operation=errors.__name__)


class MediaMethods:
    """``RtmClient``'s media methods (design §4), delegating to :class:`MediaCalls`."""

    _media: MediaCalls

    async def create_media_message_by_uploading(
        self,
        data_or_path: bytes | bytearray | memoryview | str | os.PathLike[str],
        params: MediaMessageParams | dict[str, Any] | None = None,
        handler: MediaTransferHandler | dict[str, Any] | None = None,
    ) -> RtmMessage:
        """Upload a file or bytes and return the FILE or IMAGE message that refers to it
        (``createMediaMessageByUploading``, spec §1.2, ≤ 1.4.x).

        Args:
            data_or_path: the object: bytes, or the path of a file.
            params: ``{"messageType": "FILE" | "IMAGE", "fileName", "description",
                "thumbnail", "width", "height", "thumbnailWidth", "thumbnailHeight"}`` or a
                :class:`MediaMessageParams`. An IMAGE's width and height, when not given,
                are the server's reading of a PNG, JPEG, GIF or BMP header.
            handler: ``{"onOperationProgress": cb, "cancelSignal": event}`` or a
                :class:`MediaTransferHandler`.

        Raises:
            RtmInvalidArgumentError: 2, an empty object, a missing file, bad params (or name,
                description and thumbnail over 32 KB).
            RtmLimitExceededError: 4, the object is over 30 MB; 5, 9 transfers under way.
            RtmInvalidStatusError: 102, not logged in; 6, cancelled by the cancel signal.
            RtmTimeoutError: 3, no progress for 120 s.
            RtmUnavailableError: 1, the transfer failed (network, server).
        """
        return await self._media.upload(data_or_path, params, handler)

    async def download_media(
        self, media_id: str, handler: MediaTransferHandler | dict[str, Any] | None = None
    ) -> bytes:
        """Download an object into memory (``downloadMedia``, spec §1.2, ≤ 1.4.x).

        Raises:
            RtmInvalidArgumentError: 2, not a media id; 4, unknown, expired or another App's.
            RtmLimitExceededError: 5, 9 transfers under way.
            RtmInvalidStatusError: 102, not logged in; 6, cancelled by the cancel signal.
            RtmTimeoutError: 3, no progress for 120 s.
            RtmUnavailableError: 1, the transfer failed.
        """
        return await self._media.download(media_id, handler)

    async def download_media_to_file(
        self,
        media_id: str,
        path: str | os.PathLike[str],
        handler: MediaTransferHandler | dict[str, Any] | None = None,
    ) -> None:
        """Download an object into the file ``path`` (the native ``downloadMediaToFile``);
        the file appears only once whole. Errors as :meth:`download_media`."""
        await self._media.download_to_file(media_id, path, handler)
