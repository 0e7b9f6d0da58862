"""A running server: the Node behind its Gateway, started and stopped together."""

from __future__ import annotations

import logging
from types import TracebackType

from openrtm.server.backends import Backends, build_backends
from openrtm.server.config import ServerConfig
from openrtm.server.gateway import Gateway
from openrtm.server.http import HttpFace
from openrtm.server.node import Node

__all__ = ["Server"]

log = logging.getLogger("openrtm.server")


class Server:
    """One openrtm server process; also an async context manager (used by the tests).

    Args:
        config: the server configuration.
        node: a node built by the caller (to plug in other engines or stores); by default one
            on the backends of ``config`` (:func:`~openrtm.server.backends.build_backends`).
    """

    def __init__(self, config: ServerConfig, *, node: Node | None = None) -> None:
        self.config = config
        self.backends: Backends | None = None
        if node is None:
            backends = self.backends = build_backends(config)
            node = Node(
                config, broker=backends.broker, presence=backends.presence, store=backends.store
            )
            node.readiness = backends.ready
        self.node = node
        self.gateway = Gateway(self.node, config)
        self.http = HttpFace(self.node, config)

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"ws://{host}:{self.gateway.port}/"

    @property
    def http_url(self) -> str:
        """The base URL of the HTTP face (REST API, media, health, metrics)."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.http.port}/"

    async def start(self) -> None:
        """Check the backends, start the node, then accept connections, WebSocket and HTTP.

        Raises:
            BackendError: Redis is configured but unusable (nothing was started).
        """
        if self.backends is not None:
            await self.backends.preflight()
        await self.node.start()
        await self.gateway.start()
        self.node.ws_port = self.gateway.port
        config = self.config
        # Port 0 (tests) means a free port for each; otherwise the HTTP face defaults to the
        # WebSocket port + 1 (design §5).
        await self.http.start(config.http_port_to_bind)
        self.node.http_port = self.http.port
        log.info("serving %s and %s", self.url, self.http_url)

    async def stop(self) -> None:
        """Stop gracefully: refuse new connections, finish HTTP requests in flight, close the
        WebSocket connections with GOING_AWAY, flush."""
        self.gateway.stop_accepting()
        await self.http.stop()
        await self.node.stop()
        if self.backends is not None:
            await self.backends.close()

    async def __aenter__(self) -> Server:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()
