"""Dead links are found by keepalives, on both sides, through a real TCP proxy (issue #5)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import pytest

from openrtm.server import Server
from openrtm.server.session import SessionState
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit, until
from tests.proxy import TcpProxy
from tests.server.test_gateway_frames import RawClient

STATES = "ConnectionStateChanged"


@pytest.fixture
async def server(start_server: ServerFactory) -> Server:
    return await start_server(keepalive_interval=unit(0.2), keepalive_misses=3)


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[TcpProxy]:
    proxy = await TcpProxy(server.gateway.port).start()
    yield proxy
    await proxy.close()


def through(proxy: TcpProxy) -> Server:
    """Something with the ``url`` make_client needs: the proxy's."""
    return proxy  # type: ignore[return-value]


async def test_the_server_finds_a_silent_half_open_link(server: Server, proxy: TcpProxy) -> None:
    # A client that never pings: only the server's sweep can find that its link went silent.
    raw = await RawClient.open(proxy.url)
    await raw.login("alice")
    proxy.pause()
    started = time.monotonic()
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    await until(lambda: session.state is SessionState.DETACHED, unit(3))
    # 3 silent sweeps of 0.2 s (pinged after the first), with no timer per connection; the
    # session then waits for a resume (spec §3.3) instead of ending at once.
    assert time.monotonic() - started < unit(1.5)
    assert not raw.is_closed  # to the client the paused link still looks open


async def test_the_sdk_finds_a_silent_half_open_link_and_recovers(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    # The server's own keepalive is out of the way here: only the SDK's can find the link.
    server = await start_server(keepalive_interval=unit(60))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        client = make_client(
            through(proxy),
            ping_interval=unit(0.3),
            ping_timeout=unit(0.3),
            reconnect_backoff_max=unit(0.2),
        )
        events = Recorder(client, STATES)
        await client.login("alice")
        proxy.pause()
        started = time.monotonic()
        assert await events.wait_for(STATES, "RECONNECTING", "INTERRUPTED", timeout=unit(3))
        assert time.monotonic() - started < unit(2)
        proxy.resume()
        assert await events.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
    finally:
        await proxy.close()


async def test_a_dropped_link_is_retried_at_once(
    server: Server, proxy: TcpProxy, make_client: ClientFactory
) -> None:
    client = make_client(through(proxy), reconnect_backoff_max=unit(0.2))
    events = Recorder(client, STATES)
    await client.login("alice")
    proxy.drop()
    assert await events.wait_for(STATES, "RECONNECTING", "INTERRUPTED", timeout=unit(2))
    assert await events.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))


async def test_an_idle_but_live_connection_is_kept(server: Server) -> None:
    # A client that never sends anything of its own, but answers the server's pings (picows
    # answers them by itself): it is pinged when silent and never dropped.
    raw = await RawClient.open(server.url)
    await raw.login("quiet")
    session = server.node.hub.user(APP_ID, "quiet")
    assert session is not None
    loop_start = time.monotonic()
    await until(lambda: time.monotonic() - loop_start > unit(1.5), unit(3))  # ~7 sweeps
    assert server.node.hub.user(APP_ID, "quiet") is session
    assert not raw.is_closed
