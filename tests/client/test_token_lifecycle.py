"""The token lifecycle (spec §4.3, §6.10): warning, expiry kick, renew_token."""

from __future__ import annotations

import asyncio
import time

import pytest

import openrtm
from openrtm.protocol.tokens import build_token_007
from openrtm.server import AppSpec, Server
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID, ClientFactory, Recorder, unit

STATES = "ConnectionStateChanged"


def token(uid: str, seconds: int) -> str:
    return build_token_007(APP_ID, APP_CERT, uid, seconds, issue_ts=int(time.time()))


@pytest.fixture
async def secure(start_server: object) -> Server:
    return await start_server(  # type: ignore[operator, no-any-return]
        # 1 s, not unit(1): token lifetimes are whole seconds that do not scale, and a warning
        # as long as the token would come at once.
        apps=(AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)),
        token_warning=1.0,
    )


async def test_a_3_second_token_warns_then_kicks(
    secure: Server, make_client: ClientFactory
) -> None:
    client = make_client(secure)
    events = Recorder(client, STATES, "TokenPrivilegeWillExpire", "TokenExpired")
    started = time.monotonic()
    await client.login("alice", token("alice", 3))
    await events.wait_for("TokenPrivilegeWillExpire", timeout=unit(5))
    warned = time.monotonic() - started
    assert await events.wait_for(STATES, "ABORTED", "TOKEN_EXPIRED", timeout=unit(6))
    kicked = time.monotonic() - started
    assert "TokenExpired" in events.names()
    # Warned token_warning (1 s here; 30 s by default) before the deadline, kicked at it.
    assert 1.0 <= warned < 3.0
    assert 2.0 <= kicked < 4.5
    assert secure.node.hub.user(APP_ID, "alice") is None
    await client.logout()
    assert client.connection_state == "DISCONNECTED"


async def test_renew_token_moves_the_deadline(secure: Server, make_client: ClientFactory) -> None:
    client = make_client(secure)
    events = Recorder(client, STATES, "TokenExpired")
    await client.login("alice", token("alice", 2))
    await client.renew_token(token("alice", 3600))
    session = secure.node.hub.user(APP_ID, "alice")
    assert session is not None
    assert session.token_deadline is not None
    assert session.token_deadline > time.time() + 3000
    with pytest.raises(TimeoutError):
        await events.wait_for("TokenExpired", timeout=unit(3))
    assert client.connection_state == "CONNECTED"


@pytest.mark.parametrize(
    ("make_token", "code", "error"),
    [
        (lambda: token("mallory", 3600), 6, openrtm.RtmUnauthenticatedError),
        (
            lambda: build_token_007(APP_ID, APP_CERT, "alice", 60, issue_ts=int(time.time()) - 90),
            5,
            openrtm.RtmUnauthenticatedError,
        ),
        (lambda: "007nonsense", 6, openrtm.RtmUnauthenticatedError),
    ],
)
async def test_renew_token_refusals(
    secure: Server, make_client: ClientFactory, make_token: object, code: int, error: type
) -> None:
    client = make_client(secure)
    await client.login("alice", token("alice", 3600))
    with pytest.raises(error) as info:
        await client.renew_token(make_token())  # type: ignore[operator]
    assert info.value.code == code
    assert client.connection_state == "CONNECTED"


async def test_renew_token_local_checks(secure: Server, make_client: ClientFactory) -> None:
    client = make_client(secure)
    with pytest.raises(openrtm.RtmInvalidStatusError) as info:
        await client.renew_token(token("alice", 60))
    assert info.value.code == 102
    await client.login("alice", token("alice", 3600))
    for bad in ("", None, 5):
        with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
            await client.renew_token(bad)  # type: ignore[arg-type]
        assert info.value.code == 2
    await client.renew_token(token("alice", 3600))
    await client.renew_token(token("alice", 3600))
    with pytest.raises(openrtm.RtmInvokeTooOftenError) as info:
        await client.renew_token(token("alice", 3600))  # spec §5.4: 2 a second
    assert info.value.code == 4


async def test_renew_token_in_app_id_only_mode_is_accepted(
    secure: Server, make_client: ClientFactory
) -> None:
    client = make_client(secure, app_id=OTHER_APP_ID)
    await client.login("alice")
    await client.renew_token("anything")
    assert client.connection_state == "CONNECTED"


async def test_reconnecting_with_an_expired_token_says_token_expired_and_renew_recovers(
    start_server: object, make_client: ClientFactory, tmp_path: object
) -> None:
    from openrtm.server import ServerConfig

    apps = (AppSpec(APP_ID, APP_CERT),)
    first = Server(ServerConfig(port=0, data_dir=tmp_path / "d", apps=apps))  # type: ignore[operator]
    await first.start()
    port = first.gateway.port
    client = make_client(first, reconnect_backoff_max=unit(0.2))
    events = Recorder(client, STATES, "TokenExpired")
    await client.login("alice", token("alice", 2))
    await first.stop()
    assert await events.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
    await asyncio.sleep(unit(2.2))  # let the token lapse while the server is down
    second = Server(
        ServerConfig(port=port, http_port=0, data_dir=tmp_path / "d", apps=apps)  # type: ignore[operator]
    )
    await second.start()
    try:
        await events.wait_for("TokenExpired", timeout=unit(10))
        assert client.connection_state == "RECONNECTING"  # spec §3.2: unchanged
        await client.renew_token(token("alice", 3600))
        assert await events.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
    finally:
        await client.logout()
        await second.stop()
