"""The HTTP face: health and readiness, and where the SDK learns it is."""

from __future__ import annotations

import aiohttp

from openrtm.server import Server
from tests.conftest import ClientFactory, ServerFactory


async def _get(url: str) -> tuple[int, dict[str, str]]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.json()


async def test_healthz_and_readyz_answer_while_serving(server: Server) -> None:
    assert await _get(server.http_url + "healthz") == (200, {"status": "ok"})
    assert await _get(server.http_url + "readyz") == (200, {"status": "ready"})


async def test_readyz_is_503_once_the_store_is_closed(server: Server) -> None:
    # The node stops (its store closes) while the HTTP face still answers.
    await server.node.stop()
    assert await _get(server.http_url + "readyz") == (503, {"status": "not ready"})
    assert (await _get(server.http_url + "healthz"))[0] == 200


async def test_an_unknown_path_is_404(server: Server) -> None:
    async with aiohttp.ClientSession() as http, http.get(server.http_url + "nope") as response:
        assert response.status == 404


async def test_the_sdk_learns_the_http_url_at_login(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    assert client.http_url is None
    await client.login("alice")
    assert client.http_url == server.http_url
    assert server.http.port != server.gateway.port


async def test_a_public_url_is_what_the_sdk_is_told(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(public_url="https://rtm.example.com/base")
    client = make_client(server)
    await client.login("alice")
    assert client.http_url == "https://rtm.example.com/base/"


async def test_the_http_port_defaults_to_the_websocket_port_plus_one() -> None:
    from openrtm.server import ServerConfig

    assert ServerConfig(port=9000).http_port_to_bind == 9001
    assert ServerConfig(port=9000, http_port=7000).http_port_to_bind == 7000
    assert ServerConfig(port=0).http_port_to_bind == 0
