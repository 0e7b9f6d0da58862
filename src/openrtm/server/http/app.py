"""The aiohttp application of the HTTP face and its listening site.

The application is built from route modules, each of which owns one group of endpoints and
adds them in its ``setup(app)``; a handler finds the :class:`~openrtm.server.node.Node` under
the :data:`NODE` key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from openrtm.server.config import ServerConfig
from openrtm.server.http import (
    cors,
    demo,
    expect,
    health,
    media,
    metrics,
    openapi,
    rest_common,
    rest_events,
    rest_history,
    rest_messages,
    sdk,
)
from openrtm.server.http.context import NODE
from openrtm.server.http.errors import json_errors
from openrtm.server.node import Node

__all__ = ["NODE", "HttpFace", "build_app"]

log = logging.getLogger("openrtm.http")

_ROUTE_MODULES: tuple[Callable[[web.Application], None], ...] = (
    health.setup,
    media.setup,
    metrics.setup,
    openapi.setup,
    rest_common.setup,
    rest_messages.setup,
    rest_events.setup,
    rest_history.setup,
    sdk.setup,
    demo.setup,
    cors.setup,  # last: it wraps routes the others added
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _MalformedRequests(logging.Filter):
    """Turns aiohttp's ERROR with a traceback for a request it cannot parse (a header line
    over 8 KiB, a bad method, broken chunking), or for a client that went away while aiohttp
    itself answered it (an ``Expect`` on a closing connection), into one INFO line: bad input
    and lost clients are not server faults and must not fill the log with tracebacks. The
    exception's message is left out: it quotes the offending bytes, which may hold a
    credential."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError | ConnectionError):
            record.exc_info = record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.msg = "malformed or abandoned HTTP request: %s"
            record.args = (type(exc).__name__,)
        return True


expect.install()

_AIOHTTP_SERVER_LOG = logging.getLogger("aiohttp.server")
if not any(isinstance(f, _MalformedRequests) for f in _AIOHTTP_SERVER_LOG.filters):
    _AIOHTTP_SERVER_LOG.addFilter(_MalformedRequests())


@web.middleware
async def _no_tracebacks(request: web.Request, handler: Handler) -> web.StreamResponse:
    # A handler's bug must not hand a traceback to the client: aiohttp's default 500 page
    # would. Log it once, answer a bare 500 in JSON like every other error of this face.
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return web.json_response(
            {"result": "failed", "code": "internal_error", "message": "internal server error"},
            status=500,
        )


def build_app(node: Node) -> web.Application:
    """The HTTP face's application for ``node``, with every route module set up."""
    # Outermost first: a bug's 500 wraps everything; every other error is reshaped into the
    # face's one JSON error shape (errors.py).
    app = web.Application(middlewares=[_no_tracebacks, json_errors])
    app[NODE] = node
    for setup in _ROUTE_MODULES:
        setup(app)
    return app


class HttpFace:
    """The listening HTTP endpoint at ``http://HOST:HTTP_PORT/``.

    Args:
        node: the node the handlers act on.
        config: the server configuration (host, ``http_port``, ``shutdown_timeout``).
    """

    def __init__(self, node: Node, config: ServerConfig) -> None:
        self._node = node
        self._config = config
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The bound port (useful when configured with port 0)."""
        if self._runner is None or not self._runner.addresses:
            raise RuntimeError("HTTP face not started")
        port: int = self._runner.addresses[0][1]
        return port

    async def start(self, port: int) -> None:
        """Bind ``port`` (0 picks a free one) and start serving."""
        self._runner = web.AppRunner(
            build_app(self._node),
            access_log=None,  # one line per request is the operator's choice, not ours
            shutdown_timeout=self._config.shutdown_timeout,
            handle_signals=False,
        )
        await self._runner.setup()
        await web.TCPSite(self._runner, self._config.host, port).start()

    async def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to the shutdown timeout)."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
