"""Shared fixtures: a real server on a free port, real SDK clients, and event recorders.

Every timeout here is a multiple of :func:`unit`, scaled by the environment variable
``OPENRTM_TEST_TIMEOUT_SCALE`` (default 1) for slow machines; tests wait for events, never
sleep to synchronize.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import openrtm
from openrtm.server import AppSpec, Server, ServerConfig
from tests.redis_server import RedisClusterServers, RedisServer

APP_ID = "0123456789abcdef0123456789abcdef"
OTHER_APP_ID = "abcdefabcdefabcdefabcdefabcdef12"
APP_CERT = "fedcba9876543210fedcba9876543210"


def unit(n: float = 1.0) -> float:
    """``n`` test time units, in seconds (one unit is 1 s times the scale)."""
    return n * float(os.environ.get("OPENRTM_TEST_TIMEOUT_SCALE", "1"))


class Recorder:
    """Records an emitter's events and lets a test wait for the next one."""

    def __init__(self, emitter: openrtm.RtmClient, *events: str) -> None:
        self.events: list[tuple[str, tuple[Any, ...]]] = []
        self._queue: asyncio.Queue[tuple[str, tuple[Any, ...]]] = asyncio.Queue()
        for name in events:
            emitter.on(name, self._recorder(name))

    def _recorder(self, name: str) -> Callable[..., None]:
        def record(*args: Any) -> None:
            self.events.append((name, args))
            self._queue.put_nowait((name, args))

        return record

    async def next(self, timeout: float | None = None) -> tuple[str, tuple[Any, ...]]:
        """Wait for the next event not yet taken."""
        return await asyncio.wait_for(self._queue.get(), timeout or unit(5))

    async def wait_for(
        self, name: str, *args: Any, timeout: float | None = None
    ) -> tuple[Any, ...]:
        """Wait until event ``name`` (with exactly ``args``, if given) arrives; return its args."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (timeout or unit(5))
        while True:
            event, got = await asyncio.wait_for(self._queue.get(), deadline - loop.time())
            if event == name and (not args or got == args):
                return got

    def names(self) -> list[str]:
        return [name for name, _ in self.events]


async def until(predicate: Callable[[], object], timeout: float | None = None) -> None:
    """Wait until ``predicate()`` is truthy, polling; it may return an awaitable.

    For state with no event to wait on (server internals); at most ``timeout`` (5 units).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + (timeout or unit(5))
    while True:
        result = predicate()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise TimeoutError("condition not reached in time")
        await asyncio.sleep(0.005)


ServerFactory = Callable[..., Awaitable[Server]]
ClientFactory = Callable[..., openrtm.RtmClient]


@pytest.fixture
async def start_server(tmp_path: Path) -> AsyncIterator[ServerFactory]:
    """Start real servers on free ports: ``await start_server(apps=(...), login_timeout=...)``."""
    servers: list[Server] = []

    async def start(**settings: Any) -> Server:
        settings.setdefault("data_dir", tmp_path / f"data{len(servers)}")
        server = Server(ServerConfig(host="127.0.0.1", port=0, **settings))
        await server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        await server.stop()


@pytest.fixture
async def server(start_server: ServerFactory) -> Server:
    """A server in development mode (any well-formed App ID, no token)."""
    return await start_server()


@pytest.fixture
async def secure_server(start_server: ServerFactory) -> Server:
    """A server with App ``APP_ID`` requiring tokens and ``OTHER_APP_ID`` in App-ID-only mode."""
    return await start_server(apps=(AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)))


@pytest.fixture
async def make_client() -> AsyncIterator[Callable[..., openrtm.RtmClient]]:
    """Create SDK clients: ``make_client(server, app_id=APP_ID, **config)``; logged out after."""
    clients: list[openrtm.RtmClient] = []

    def make(server: Server, app_id: str = APP_ID, **config: Any) -> openrtm.RtmClient:
        client = openrtm.create_instance(app_id, config or None, server=server.url)
        clients.append(client)
        return client

    yield make
    for client in clients:
        if client.connection_state != "DISCONNECTED":
            with contextlib.suppress(openrtm.RtmError):
                await client.logout()


@pytest.fixture
async def redis_server(tmp_path: Path) -> AsyncIterator[RedisServer]:
    """A private ``redis-server`` on a free port, with its data under ``tmp_path``."""
    server = await RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        await server.kill()


@pytest.fixture(scope="session")
def redis_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisClusterServers]:
    """A private 3-master Redis Cluster for the session (skips without redis-server and
    redis-cli, fails in CI). Tests share it: each keeps to a key prefix or App ID of its own."""
    servers = RedisClusterServers(tmp_path_factory.mktemp("redis-cluster")).start()
    try:
        yield servers
    finally:
        servers.close()
