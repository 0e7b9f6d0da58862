"""One JSON shape for every error of the HTTP face (docs/rest-api.md, "Errors").

(But the SDKs' media transfers, whose refusals carry the SDK error code of spec §4.16 for the
SDK to raise as is: :mod:`openrtm.server.http.media`.)

Every error answer, whatever raised it, is ``{"result": "failed", "code": CODE, "message":
TEXT}`` with a stable lower-case ``code`` a program can test and a ``message`` for people.
Handlers raise :class:`RestError`; aiohttp's own errors (unknown path 404, wrong method 405,
body over the size limit 413) are reshaped by the :func:`json_errors` middleware, keeping
their headers (``Allow``, ``WWW-Authenticate``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["RestError", "error_response", "json_errors"]

# The code of an aiohttp error, by HTTP status: what a client sees for errors no handler of
# ours raised.
_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    408: "timeout",
    410: "gone",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}

# Headers of an aiohttp error that describe the body it had, not the error itself.
_BODY_HEADERS = frozenset({"content-type", "content-length", "content-encoding"})


class RestError(Exception):
    """An error answer: ``status`` with ``code`` and ``message`` in the one JSON shape.

    Attributes:
        status: the HTTP status.
        code: the stable machine-readable code (``bad_request``, ``unauthorized``, ...).
        message: what went wrong, lower-case, for people; never a secret or a payload.
        headers: extra response headers (``WWW-Authenticate``, ``Retry-After``).
    """

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(status, code, message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"

    def response(self) -> web.Response:
        """The answer to send."""
        return error_response(self.status, self.code, self.message, self.headers)


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> web.Response:
    """An error answer in the face's one JSON shape."""
    return web.json_response(
        {"result": "failed", "code": code, "message": message}, status=status, headers=headers
    )


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def json_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer :class:`RestError` and aiohttp's 4xx/5xx errors in the one JSON shape."""
    try:
        return await handler(request)
    except RestError as exc:
        return exc.response()
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        headers = {k: v for k, v in exc.headers.items() if k.lower() not in _BODY_HEADERS}
        code = _CODES.get(exc.status, "http_error")
        return error_response(exc.status, code, (exc.reason or code).lower(), headers)
