"""A running server: the Node behind its Gateway, started and stopped together."""

from __future__ import annotations

import logging
from types import TracebackType

from openrtm.server.config import ServerConfig
from openrtm.server.gateway import Gateway
from openrtm.server.node import Node

__all__ = ["Server"]

log = logging.getLogger("openrtm.server")


class Server:
    """One openrtm server process; also an async context manager (used by the tests).

    Args:
        config: the server configuration.
        node: a node built by the caller (to plug in other engines or stores).
    """

    def __init__(self, config: ServerConfig, *, node: Node | None = None) -> None:
        self.config = config
        self.node = node if node is not None else Node(config)
        self.gateway = Gateway(self.node, config)

    @property
    def url(self) -> str:
        """The WebSocket URL clients connect to."""
        host = self.config.host
        if ":" in host:
            host = f"[{host}]"
        return f"ws://{host}:{self.gateway.port}/"

    async def start(self) -> None:
        """Start the node, then accept connections."""
        await self.node.start()
        await self.gateway.start()
        log.info("serving %s", self.url)

    async def stop(self) -> None:
        """Stop gracefully: refuse new connections, close the rest with GOING_AWAY, flush."""
        self.gateway.stop_accepting()
        await self.node.stop()

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
