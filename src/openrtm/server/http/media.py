"""Media transfers on the HTTP face: ``POST /media``, ``GET`` and ``HEAD /media/{id}``.

Spec §1.2 (``createMediaMessageByUploading``, ``downloadMedia``), §4.16, §4.17, §5.2;
``docs/protocol.md``, "Media". Every request carries the login session's media ticket as
``Authorization: Bearer <ticket>``. Bodies stream both ways: an upload goes to a temporary
file chunk by chunk, a download is read from its file chunk by chunk, so no object is ever
whole in memory. A transfer with no byte moving for ``media_stall_timeout`` seconds is
abandoned. Refusals are JSON :class:`~openrtm.protocol.media.MediaErrorBody` with the code of
spec §4.16:

=====  ===================================================================================
400    2 INVALID_ARGUMENT: empty body, a multipart body (send the raw bytes), a bad Range
401    102 NOT_LOGGED_IN: no ticket, or not one of a live login session
404    4 NOT_EXIST (download): unknown, expired or another App's media id
408    3 TIMEOUT: nothing received for ``media_stall_timeout`` seconds
413    4 SIZE_OVERFLOW (upload): over ``media_max_bytes``
416    a Range outside the object (with ``Content-Range: bytes */SIZE``)
429    5 CONCURRENCY_LIMIT_EXCEEDED: 9 transfers of this session under way
503    1 FAILURE (upload): the server cannot store the object (disk, database)
=====  ===================================================================================
"""

from __future__ import annotations

import asyncio
import logging
from enum import IntEnum
from io import BufferedReader

import msgspec
from aiohttp import hdrs, web

from openrtm.engines.base import EngineUnavailable
from openrtm.protocol.codes import DownloadMediaError, UploadMediaError
from openrtm.protocol.media import MEDIA_PATH, UploadResult, error_body
from openrtm.server.http.context import NODE
from openrtm.server.services.media import MediaService, TicketHolder
from openrtm.store.base import StoreError

__all__ = ["byte_range", "setup"]

log = logging.getLogger("openrtm.http.media")

# Big enough that a 30 MB download is ~120 writes, small enough to keep the loop responsive.
_CHUNK = 256 * 1024
_JSON = "application/json"


class _Refused(Exception):
    """A request refused with ``status`` and the §4.16 ``code``."""

    def __init__(self, status: int, code: IntEnum, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> web.Response:
        headers = {hdrs.WWW_AUTHENTICATE: "Bearer"} if self.status == 401 else None
        return web.Response(
            status=self.status,
            body=error_body(self.code, self.message),
            content_type=_JSON,
            headers=headers,
        )


async def _session(
    request: web.Request, errors: type[UploadMediaError | DownloadMediaError]
) -> TicketHolder:
    """The live session whose media ticket the request carries (else 401, code 102).

    In a cluster it may be a session of another node; if that cannot be checked now (Redis
    unavailable), 503 with the FAILURE code (issue #15: refuse clearly, never hang).
    """
    scheme, _, ticket = request.headers.get(hdrs.AUTHORIZATION, "").partition(" ")
    session = None
    if scheme.lower() == "bearer" and ticket:
        try:
            session = await request.app[NODE].media.holder_for(ticket.strip())
        except EngineUnavailable as exc:
            log.warning("media ticket not checked: %s", exc)
            raise _Refused(503, errors.FAILURE, "server unavailable, try again") from None
    if session is None:
        # Never logged: the ticket is a credential.
        raise _Refused(401, errors.NOT_LOGGED_IN, "a media ticket of a logged-in session is needed")
    return session


async def _upload_checks(request: web.Request) -> TicketHolder:
    """What can be refused before a byte of the body is read (also for ``Expect``)."""
    session = await _session(request, UploadMediaError)
    content_type = request.headers.get(hdrs.CONTENT_TYPE, "")
    if content_type.lower().startswith("multipart/"):
        raise _Refused(
            400,
            UploadMediaError.INVALID_ARGUMENT,
            "send the object as the raw request body (application/octet-stream), not multipart",
        )
    length = request.content_length
    if length == 0 or (length is None and not request.body_exists):
        raise _Refused(400, UploadMediaError.INVALID_ARGUMENT, "the object is empty")
    limit = request.app[NODE].config.media_max_bytes
    if length is not None and length > limit:
        raise _Refused(413, UploadMediaError.SIZE_OVERFLOW, f"the object is over {limit} bytes")
    return session


async def _expect(request: web.Request) -> web.StreamResponse | None:
    # ``Expect: 100-continue``: refuse an upload before its body is sent (a 30 MB body the
    # server would throw away), else invite it.
    if request.headers.get(hdrs.EXPECT, "").lower() != "100-continue":
        return None
    try:
        await _upload_checks(request)
    except _Refused as refused:
        return refused.response()
    try:
        await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    except ConnectionError:
        return None  # the client is gone: reading the body will say so
    request.writer.output_size = 0
    return None


async def upload(request: web.Request) -> web.StreamResponse:
    """``POST /media``: store the request body as a new object of the session's App."""
    try:
        session = await _upload_checks(request)
        node = request.app[NODE]
        media = node.media
        if not media.acquire(session):
            raise _Refused(
                429, UploadMediaError.CONCURRENCY_LIMIT_EXCEEDED, "9 transfers under way"
            )
        try:
            try:
                temp = media.temp_upload()
            except OSError as exc:
                log.error("cannot start an upload: %s", exc.strerror or type(exc).__name__)
                raise _Refused(503, UploadMediaError.FAILURE, "cannot store the object") from None
            limit, stall = node.config.media_max_bytes, node.config.media_stall_timeout
            loop = asyncio.get_running_loop()
            try:
                async with asyncio.timeout(stall) as deadline:
                    while chunk := await request.content.readany():
                        media.bytes_in += len(chunk)
                        if temp.size + len(chunk) > limit:
                            raise _Refused(
                                413,
                                UploadMediaError.SIZE_OVERFLOW,
                                f"the object is over {limit} bytes",
                            )
                        temp.write(chunk)
                        deadline.reschedule(loop.time() + stall)
                if not temp.size:
                    raise _Refused(400, UploadMediaError.INVALID_ARGUMENT, "the object is empty")
            except TimeoutError:
                temp.discard()
                raise _Refused(
                    408, UploadMediaError.TIMEOUT, f"nothing received for {stall:g} s"
                ) from None
            except _Refused:
                temp.discard()
                raise
            except ConnectionError:
                temp.discard()
                raise _Refused(
                    400, UploadMediaError.INVALID_ARGUMENT, "the request body was cut short"
                ) from None
            except OSError as exc:
                temp.discard()
                log.error("cannot write an upload: %s", exc.strerror or type(exc).__name__)
                raise _Refused(503, UploadMediaError.FAILURE, "cannot store the object") from None
            except Exception as exc:
                # The body was cut short or malformed: the client went away, or lied about
                # its length. Nothing is kept.
                temp.discard()
                log.info("upload cut short: %s", type(exc).__name__)
                raise _Refused(
                    400, UploadMediaError.INVALID_ARGUMENT, "the request body was cut short"
                ) from None
            except BaseException:
                temp.discard()
                raise
            try:
                record = await media.keep(session, temp)
            except (OSError, StoreError) as exc:
                # Disk or database trouble: the server's, not the client's; keep removed it.
                log.error("cannot keep an upload: %s", type(exc).__name__)
                raise _Refused(503, UploadMediaError.FAILURE, "cannot store the object") from None
        finally:
            media.release(session)
    except _Refused as refused:
        return refused.response()
    result = UploadResult(
        media_id=record.media_id,
        size=record.size,
        content_type=record.content_type,
        width=record.width or None,
        height=record.height or None,
    )
    return web.json_response(result, dumps=_dumps)


def _dumps(value: object) -> str:
    return msgspec.json.encode(value).decode("utf-8")


def byte_range(request: web.Request, size: int) -> tuple[int, int] | None:
    """The ``(start, count)`` a request's ``Range`` asks of an object of ``size`` bytes.

    No Range is the whole object. None: unsatisfiable (416). A malformed or multi-range
    header raises :class:`ValueError`. Mirrors aiohttp's ``FileResponse`` (RFC 9110 §14).
    """
    if hdrs.RANGE not in request.headers:
        return 0, size
    rng = request.http_range  # ValueError when malformed
    start, end = rng.start, rng.stop
    if start is None:
        return 0, size
    if start < 0 and end is None:  # the last -start bytes
        start = max(0, size + start)
        count = size - start
    else:
        count = min(end if end is not None else size, size) - start
    if start >= size or count <= 0:
        return None
    return start, count


async def download(request: web.Request) -> web.StreamResponse:
    """``GET`` / ``HEAD /media/{media_id}``: the object, whole or a ``Range`` of it."""
    try:
        session = await _session(request, DownloadMediaError)
        node = request.app[NODE]
        found = await node.media.find(session.app_id, request.match_info["media_id"])
        if found is None:
            raise _Refused(404, DownloadMediaError.NOT_EXIST, "no such media object")
        record, path = found
        try:
            wanted = byte_range(request, record.size)
        except ValueError:
            raise _Refused(
                400, DownloadMediaError.INVALID_ARGUMENT, "malformed Range header"
            ) from None
        if wanted is None:
            return web.Response(status=416, headers={hdrs.CONTENT_RANGE: f"bytes */{record.size}"})
        start, count = wanted
        partial = hdrs.RANGE in request.headers
        response = web.StreamResponse(status=206 if partial else 200)
        response.content_type = record.content_type
        response.content_length = count
        response.headers[hdrs.ACCEPT_RANGES] = "bytes"
        response.headers[hdrs.CACHE_CONTROL] = "private, max-age=604800, immutable"
        if partial:
            response.headers[hdrs.CONTENT_RANGE] = (
                f"bytes {start}-{start + count - 1}/{record.size}"
            )
        if request.method == hdrs.METH_HEAD:
            await response.prepare(request)
            return response
        media = node.media
        if not media.acquire(session):
            raise _Refused(
                429, DownloadMediaError.CONCURRENCY_LIMIT_EXCEEDED, "9 transfers under way"
            )
        try:
            try:
                file = open(path, "rb")  # noqa: SIM115,ASYNC230 -- local disk, page cache
            except FileNotFoundError:
                # Purged between the lookup and now.
                raise _Refused(404, DownloadMediaError.NOT_EXIST, "no such media object") from None
            with file:
                file.seek(start)
                await response.prepare(request)
                try:
                    await _send(response, file, count, node.config.media_stall_timeout, media)
                except (TimeoutError, OSError) as exc:
                    # The reader stalled or went away mid-body: the status is sent, so the
                    # only way to tell it is to end the connection short of Content-Length.
                    log.info("download cut short: %s", type(exc).__name__)
                    if request.transport is not None:
                        request.transport.close()
                    return response
        finally:
            media.release(session)
        await response.write_eof()
        return response
    except _Refused as refused:
        return refused.response()


async def _send(
    response: web.StreamResponse,
    file: BufferedReader,
    count: int,
    stall: float,
    media: MediaService,
) -> None:
    loop = asyncio.get_running_loop()
    left = count
    # A reader that stops reading fills the socket: write() then waits, and after ``stall``
    # seconds without progress the connection is dropped (spec §4.17).
    async with asyncio.timeout(stall) as deadline:
        while left:
            chunk = file.read(min(_CHUNK, left))
            if not chunk:
                break  # the file shrank: cannot happen to a finished object
            await response.write(chunk)
            left -= len(chunk)
            media.bytes_out += len(chunk)
            deadline.reschedule(loop.time() + stall)


def setup(app: web.Application) -> None:
    """Add the media routes."""
    app.router.add_post(f"/{MEDIA_PATH}", upload, expect_handler=_expect)
    app.router.add_get(f"/{MEDIA_PATH}/{{media_id}}", download)
