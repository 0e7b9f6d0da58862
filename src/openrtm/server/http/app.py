"""The aiohttp application of the HTTP face and its listening site.

The application is built from route modules, each of which owns one group of endpoints and
adds them in its ``setup(app)``; a handler finds the :class:`~openrtm.server.node.Node` under
the :data:`NODE` key.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from openrtm.server.config import ServerConfig
from openrtm.server.http import health, metrics
from openrtm.server.http.context import NODE
from openrtm.server.node import Node

__all__ = ["NODE", "HttpFace", "build_app"]

log = logging.getLogger("openrtm.http")

_ROUTE_MODULES: tuple[Callable[[web.Application], None], ...] = (health.setup, metrics.setup)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


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
    app = web.Application(middlewares=[_no_tracebacks])
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
