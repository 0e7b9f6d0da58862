"""Session limits and login frequency, enforced by the server (spec §5.4; issue #5 item 6)."""

from __future__ import annotations

import asyncio

import pytest

import openrtm
from tests.conftest import OTHER_APP_ID, ClientFactory, ServerFactory, unit
from tests.server.test_gateway_frames import RawClient


async def test_a_full_node_refuses_new_logins_clearly(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(max_sessions=2)
    first, second, third = (make_client(server) for _ in range(3))
    await first.login("a")
    await second.login("b")
    with pytest.raises(openrtm.RtmUnavailableError) as info:
        await third.login("c")
    assert info.value.code == 2
    assert "full" in info.value.detail
    # Replacing a session of the same user adds none: always let through.
    again = make_client(server)
    await again.login("a")
    assert again.connection_state == "CONNECTED"
    # Room again once someone leaves; the others were never disturbed.
    await second.logout()
    await asyncio.sleep(unit(0.5))  # spec §5.4: the SDK spaces logins by 500 ms
    await third.login("c")
    assert third.connection_state == "CONNECTED"


async def test_a_full_app_refuses_its_logins_only(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(max_sessions_per_app=1)
    ours, ours_too, theirs = (
        make_client(server),
        make_client(server),
        make_client(server, app_id=OTHER_APP_ID),
    )
    await ours.login("a")
    with pytest.raises(openrtm.RtmError) as info:
        await ours_too.login("b")
    assert info.value.code == 2
    await theirs.login("b")
    assert theirs.connection_state == "CONNECTED"


async def test_the_server_limits_login_attempts_per_connection(start_server: ServerFactory) -> None:
    server = await start_server()
    raw = await RawClient.open(server.url)
    codes = []
    for request_id in range(1, 4):
        frame = {"op": "login", "id": request_id, "v": 1, "app_id": "x", "uid": "a"}
        codes.append((await raw.request(frame))["code"])
    # Spec §5.4: 2 logins a second; the third attempt within the second is code 10.
    assert codes == [4, 4, 10]
