"""Login and logout through the real SDK and a real server (spec §3, §4.1, §4.2, §6.10, §6.11)."""

from __future__ import annotations

import asyncio
import time

import pytest
from agora_token_builder import RtmTokenBuilder

import openrtm
from openrtm.protocol.tokens import TokenFormat, build_token, build_token_007
from openrtm.server import Server
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID, ClientFactory, Recorder, unit, until

STATES = "ConnectionStateChanged"


def token_for(uid: str, *, expire: int = 3600, fmt: TokenFormat = TokenFormat.V007) -> str:
    return build_token(APP_ID, APP_CERT, uid, expire=expire, fmt=fmt, now=int(time.time()))


# --- development mode -----------------------------------------------------------------------


async def test_login_emits_connecting_then_connected(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    events = Recorder(client, STATES)
    assert client.connection_state == "DISCONNECTED"
    await client.login("alice")
    assert client.connection_state == "CONNECTED"
    assert events.events == [
        (STATES, ("CONNECTING", "LOGIN")),
        (STATES, ("CONNECTED", "LOGIN_SUCCESS")),
    ]
    await client.logout()
    assert client.connection_state == "DISCONNECTED"
    assert events.events[-1] == (STATES, ("DISCONNECTED", "LOGOUT"))


async def test_logout_removes_the_user_from_the_server(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    await client.login("alice")
    assert server.node.hub.user(APP_ID, "alice") is not None
    assert (await server.node.presence.online(APP_ID, ["alice"])) == {"alice": True}
    await client.logout()
    await until(lambda: server.node.hub.user(APP_ID, "alice") is None)
    await until(lambda: _offline(server, "alice"))


async def test_login_twice_is_code_8(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    await client.login("alice")
    with pytest.raises(openrtm.RtmInvalidStatusError) as info:
        await client.login("alice")
    assert info.value.code == 8
    assert info.value.name == "RtmInvalidStatusError"
    assert client.connection_state == "CONNECTED"


async def test_login_while_connecting_is_code_8(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    first = asyncio.ensure_future(client.login("alice"))
    await asyncio.sleep(0)
    assert client.connection_state == "CONNECTING"
    with pytest.raises(openrtm.RtmError) as info:
        await client.login("alice")
    assert info.value.code == 8
    await first
    assert client.connection_state == "CONNECTED"


async def test_login_too_often_is_code_10(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    await client.login("alice")
    await client.logout()
    with pytest.raises(openrtm.RtmInvokeTooOftenError) as info:
        await client.login("alice")
    assert info.value.code == 10


@pytest.mark.parametrize("uid", ["", "null", "x" * 65, "has/slash", "ünïcode", "a\u0000b"])
async def test_invalid_uid_is_code_3_before_sending(
    server: Server, make_client: ClientFactory, uid: str
) -> None:
    client = make_client(server)
    events = Recorder(client, STATES)
    with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
        await client.login(uid)
    assert info.value.code == 3
    assert events.events == []  # refused locally: no state change, nothing sent
    assert len(server.node.hub.connections) == 0


async def test_uid_with_every_allowed_character_logs_in(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    uid = "a Z_9!#$%&()+,.:;<=>?@[]^{|}~-"
    await client.login(uid)
    assert server.node.hub.user(APP_ID, uid) is not None


async def test_token_of_wrong_type_is_code_3(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
        await client.login("alice", 123)  # type: ignore[arg-type]
    assert info.value.code == 3


@pytest.mark.parametrize("app_id", ["", "short", "0123456789abcdef0123456789abcde!", 42])
def test_create_instance_rejects_malformed_app_id(app_id: object) -> None:
    with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
        openrtm.create_instance(app_id)  # type: ignore[arg-type]
    assert info.value.code == 1


def test_create_instance_rejects_unknown_config_keys() -> None:
    with pytest.raises(openrtm.RtmInvalidArgumentError) as info:
        openrtm.create_instance(APP_ID, {"enableLogUpload": False, "nonsense": 1})
    assert info.value.code == 1
    openrtm.create_instance(APP_ID, {"enableLogUpload": False, "log_filter": None})


def test_create_instance_server_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENRTM_SERVER", raising=False)
    assert openrtm.create_instance(APP_ID).server == "ws://127.0.0.1:8765/"
    monkeypatch.setenv("OPENRTM_SERVER", "ws://example.invalid:1/")
    assert openrtm.create_instance(APP_ID).server == "ws://example.invalid:1/"


# --- kicks ----------------------------------------------------------------------------------


async def test_second_login_of_same_uid_kicks_the_first(
    server: Server, make_client: ClientFactory
) -> None:
    first, second = make_client(server), make_client(server)
    first_events = Recorder(first, STATES)
    await first.login("alice")
    await second.login("alice")
    assert await first_events.wait_for(STATES, "ABORTED", "REMOTE_LOGIN")
    assert first.connection_state == "ABORTED"
    assert second.connection_state == "CONNECTED"
    session = server.node.hub.user(APP_ID, "alice")
    assert session is not None
    assert session.logged_in
    # Spec §3.2: ABORTED refuses login (8) until logout() resets it to DISCONNECTED.
    with pytest.raises(openrtm.RtmError) as info:
        await first.login("alice")
    assert info.value.code == 8
    await first.logout()
    assert first.connection_state == "DISCONNECTED"
    assert first_events.events[-1] == (STATES, ("DISCONNECTED", "LOGOUT"))
    # The kicked client's logout did not disturb the session that kicked it.
    assert second.connection_state == "CONNECTED"
    assert server.node.hub.user(APP_ID, "alice") is session


async def test_same_uid_in_another_app_is_not_kicked(
    server: Server, make_client: ClientFactory
) -> None:
    ours, theirs = make_client(server), make_client(server, app_id=OTHER_APP_ID)
    events = Recorder(ours, STATES)
    await ours.login("alice")
    await theirs.login("alice")
    await theirs.logout()
    assert ours.connection_state == "CONNECTED"
    assert events.names() == [STATES, STATES]
    assert (await server.node.presence.online(APP_ID, ["alice"])) == {"alice": True}
    assert (await server.node.presence.online(OTHER_APP_ID, ["alice"])) == {"alice": False}


async def test_logout_when_not_logged_in_is_code_102(
    server: Server, make_client: ClientFactory
) -> None:
    client = make_client(server)
    with pytest.raises(openrtm.RtmInvalidStatusError) as info:
        await client.logout()
    assert info.value.code == 102


async def test_logout_during_login_is_code_201(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    events = Recorder(client, STATES)
    login = asyncio.ensure_future(client.login("alice"))
    await asyncio.sleep(0)
    await client.logout()
    with pytest.raises(openrtm.RtmError) as info:
        await login
    assert info.value.code == 201
    assert client.connection_state == "DISCONNECTED"
    assert events.events[-1] == (STATES, ("DISCONNECTED", "LOGOUT"))


async def test_unreachable_server_times_out_with_code_9(make_client: ClientFactory) -> None:
    class Nowhere:
        url = "ws://127.0.0.1:9/"  # the discard port: nothing listens there

    client = make_client(Nowhere(), login_timeout=unit(0.5))  # type: ignore[arg-type]
    events = Recorder(client, STATES)
    with pytest.raises(openrtm.RtmTimeoutError) as info:
        await client.login("alice")
    assert info.value.code == 9
    assert events.events[-1] == (STATES, ("DISCONNECTED", "LOGIN_TIMEOUT"))


# --- Apps with certificates and "App ID only" (spec §4.1, §6.10) ------------------------------


@pytest.mark.parametrize("fmt", [TokenFormat.V007, TokenFormat.V006])
async def test_valid_token_logs_in(
    secure_server: Server, make_client: ClientFactory, fmt: TokenFormat
) -> None:
    client = make_client(secure_server)
    await client.login("alice", token_for("alice", fmt=fmt))
    assert client.connection_state == "CONNECTED"


async def test_token_from_agora_builder_logs_in(
    secure_server: Server, make_client: ClientFactory
) -> None:
    token = RtmTokenBuilder.buildToken(APP_ID, APP_CERT, "bob", 1, int(time.time()) + 3600)
    client = make_client(secure_server)
    await client.login("bob", token)
    assert client.connection_state == "CONNECTED"


async def test_missing_token_is_code_5(secure_server: Server, make_client: ClientFactory) -> None:
    client = make_client(secure_server)
    events = Recorder(client, STATES)
    with pytest.raises(openrtm.RtmUnauthenticatedError) as info:
        await client.login("alice")
    assert info.value.code == 5
    assert events.events == [
        (STATES, ("CONNECTING", "LOGIN")),
        (STATES, ("DISCONNECTED", "LOGIN_FAILURE")),
    ]


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(lambda: token_for("mallory"), id="other-uid"),
        pytest.param(
            lambda: build_token(
                APP_ID, "0" * 32, "alice", now=int(time.time()), fmt=TokenFormat.V007
            ),
            id="wrong-certificate",
        ),
        pytest.param(
            lambda: build_token(OTHER_APP_ID, APP_CERT, "alice", now=int(time.time())),
            id="other-app",
        ),
        pytest.param(lambda: "007garbage", id="garbage"),
        pytest.param(lambda: token_for("alice")[:-8], id="truncated"),
    ],
)
async def test_invalid_token_is_code_5(
    secure_server: Server, make_client: ClientFactory, token: object
) -> None:
    client = make_client(secure_server)
    with pytest.raises(openrtm.RtmUnauthenticatedError) as info:
        await client.login("alice", token())  # type: ignore[operator]
    assert info.value.code == 5
    assert client.connection_state == "DISCONNECTED"


async def test_expired_token_is_code_6(secure_server: Server, make_client: ClientFactory) -> None:
    expired = build_token_007(APP_ID, APP_CERT, "alice", 60, issue_ts=int(time.time()) - 120)
    client = make_client(secure_server)
    with pytest.raises(openrtm.RtmUnauthenticatedError) as info:
        await client.login("alice", expired)
    assert info.value.code == 6


async def test_unknown_app_id_is_code_4(secure_server: Server, make_client: ClientFactory) -> None:
    client = make_client(secure_server, app_id="ffffffffffffffffffffffffffffffff")
    with pytest.raises(openrtm.RtmUnauthenticatedError) as info:
        await client.login("alice")
    assert info.value.code == 4


async def test_app_id_only_mode_needs_no_token_and_ignores_one(
    secure_server: Server, make_client: ClientFactory
) -> None:
    plain, with_token = (
        make_client(secure_server, OTHER_APP_ID),
        make_client(secure_server, OTHER_APP_ID),
    )
    await plain.login("alice")
    await with_token.login("bob", "not a token at all")
    assert plain.connection_state == with_token.connection_state == "CONNECTED"


async def test_failed_login_can_be_retried(
    secure_server: Server, make_client: ClientFactory
) -> None:
    client = make_client(secure_server)
    with pytest.raises(openrtm.RtmError):
        await client.login("alice", "007nope")
    await asyncio.sleep(unit(0.5))  # spec §5.4: logins are spaced by 500 ms
    await client.login("alice", token_for("alice"))
    assert client.connection_state == "CONNECTED"


# --- the server going away (design §3: close codes tell the SDK whether to reconnect) --------


async def test_server_stop_sends_going_away_and_client_reconnects(
    start_server: object, make_client: ClientFactory, tmp_path: object
) -> None:
    from openrtm.server import ServerConfig

    first = Server(ServerConfig(port=0, data_dir=tmp_path / "a"))  # type: ignore[operator]
    await first.start()
    port = first.gateway.port
    client = make_client(first, reconnect_backoff_max=unit(0.2))
    events = Recorder(client, STATES)
    await client.login("alice")
    await first.stop()
    assert await events.wait_for(STATES, "RECONNECTING", "INTERRUPTED")
    # http_port=0: the default, port + 1, may be anyone's free port by now.
    second = Server(
        ServerConfig(port=port, http_port=0, data_dir=tmp_path / "a")  # type: ignore[operator]
    )
    await second.start()
    try:
        assert await events.wait_for(STATES, "CONNECTED", "LOGIN_SUCCESS", timeout=unit(10))
        assert second.node.hub.user(APP_ID, "alice") is not None
    finally:
        await client.logout()
        await second.stop()


# --- helpers --------------------------------------------------------------------------------


async def _offline(server: Server, uid: str) -> bool:
    return (await server.node.presence.online(APP_ID, [uid])) == {uid: False}


async def test_cancelling_login_propagates_and_leaves_the_client_disconnected(
    make_client: ClientFactory,
) -> None:
    class Nowhere:
        url = "ws://127.0.0.1:9/"

    client = make_client(Nowhere(), login_timeout=unit(30))  # type: ignore[arg-type]
    login = asyncio.ensure_future(client.login("alice"))
    await asyncio.sleep(unit(0.2))
    login.cancel()
    with pytest.raises(asyncio.CancelledError):
        await login
    assert client.connection_state == "DISCONNECTED"


async def test_a_server_that_is_not_openrtm_is_retried_until_the_login_timeout(
    server: Server, make_client: ClientFactory
) -> None:
    class WrongPath:
        url = server.url + "not-here"  # the server answers 404 to this path

    client = make_client(WrongPath(), login_timeout=unit(0.5))  # type: ignore[arg-type]
    with pytest.raises(openrtm.RtmTimeoutError):
        await client.login("alice")
