"""REST authentication (spec §7.1): HTTP Basic and x-agora-token + x-agora-uid, and refusals."""

from __future__ import annotations

import base64
import time

import aiohttp
import pytest

from openrtm.protocol.tokens import build_token
from openrtm.server import AppSpec, Server
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID, ServerFactory
from tests.server.http.conftest import BASIC, CUSTOMER_ID, REST_CREDENTIALS, RestClient
from tests.server.http.test_rest_messages import token_headers

BODY = {"destination": "bob", "payload": "hello"}
THIRD_APP = "0123456789abcdef0123456789abcd99"
THIRD_CERT = "00112233445566778899aabbccddeeff"


def basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="none"),
        pytest.param(basic(CUSTOMER_ID, "wrong"), id="wrong-secret"),
        pytest.param(basic("someone", "s3cret:with colon"), id="wrong-id"),
        pytest.param(basic(CUSTOMER_ID, ""), id="empty-secret"),
        pytest.param({"Authorization": "Basic !!!notbase64"}, id="malformed-basic"),
        pytest.param({"Authorization": "Bearer abc"}, id="other-scheme"),
        pytest.param({"x-agora-token": "007abc"}, id="token-without-uid"),
        pytest.param({"x-agora-uid": "alice"}, id="uid-without-token"),
        pytest.param({"x-agora-uid": "alice", "x-agora-token": "garbage"}, id="garbage-token"),
    ],
)
async def test_wrong_or_missing_credentials_are_401(
    rest: RestClient, headers: dict[str, str]
) -> None:
    for answer in (
        await rest.peer("alice", BODY, headers),
        await rest.channel("alice", {"channel_name": "room", "payload": "x"}, headers),
        await rest.events("user", headers),
        await rest.events("channel", headers),
    ):
        assert answer.status == 401
        assert answer.body["result"] == "failed"
        assert answer.body["code"] == "unauthorized"
        assert answer.headers["WWW-Authenticate"].startswith("Basic ")


async def test_a_token_for_another_uid_or_expired_is_401(rest: RestClient) -> None:
    bob_token = token_headers("bob")["x-agora-token"]
    answer = await rest.peer("alice", BODY, {"x-agora-uid": "alice", "x-agora-token": bob_token})
    assert (answer.status, answer.body["message"]) == (401, "invalid token")
    expired = build_token(APP_ID, APP_CERT, "alice", expire=1, now=int(time.time()) - 3600)
    answer = await rest.peer("alice", BODY, {"x-agora-uid": "alice", "x-agora-token": expired})
    assert (answer.status, answer.body["message"]) == (401, "token expired")


async def test_another_apps_token_is_401(start_server: ServerFactory) -> None:
    server = await start_server(
        apps=(AppSpec(APP_ID, APP_CERT), AppSpec(THIRD_APP, THIRD_CERT)),
        rest_credentials=REST_CREDENTIALS,
    )
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        headers = token_headers("alice", APP_ID)  # valid, but for APP_ID
        assert (await rest.peer("alice", BODY, headers, APP_ID)).status == 200
        answer = await rest.peer("alice", BODY, headers, THIRD_APP)
        assert (answer.status, answer.body["code"]) == (401, "unauthorized")


async def test_a_token_may_act_only_as_its_uid(rest: RestClient) -> None:
    headers = token_headers("alice")
    answer = await rest.peer("mallory", BODY, headers)
    assert (answer.status, answer.body["code"]) == (403, "forbidden")
    answer = await rest.channel("mallory", {"channel_name": "room", "payload": "x"}, headers)
    assert (answer.status, answer.body["code"]) == (403, "forbidden")
    # The customer may act as anyone.
    assert (await rest.peer("mallory", BODY)).status == 200


async def test_only_the_customer_reads_vendor_events(rest: RestClient) -> None:
    for kind in ("user", "channel"):
        answer = await rest.events(kind, token_headers("alice"))
        assert (answer.status, answer.body["code"]) == (403, "forbidden")
        answer = await rest.events(kind, {"x-agora-uid": "alice"}, OTHER_APP_ID)
        assert (answer.status, answer.body["code"]) == (403, "forbidden")
        assert (await rest.events(kind)).status == 200


@pytest.mark.parametrize("app_id", ["ffffffffffffffffffffffffffffffff", "short", "bad!" * 8])
async def test_an_app_the_server_does_not_serve_is_404(rest: RestClient, app_id: str) -> None:
    answer = await rest.peer("alice", BODY, None, app_id)
    assert (answer.status, answer.body["code"]) == (404, "unknown_app")
    answer = await rest.events("user", None, app_id)
    assert (answer.status, answer.body["code"]) == (404, "unknown_app")


async def test_in_development_mode_any_well_formed_app_and_the_uid_alone(
    start_server: ServerFactory,
) -> None:
    server = await start_server(rest_credentials=REST_CREDENTIALS)
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        for app_id in (APP_ID, THIRD_APP):
            assert (await rest.peer("alice", BODY, BASIC, app_id)).status == 200
            answer = await rest.peer("alice", BODY, {"x-agora-uid": "alice"}, app_id)
            assert answer.status == 200
        answer = await rest.peer("alice", BODY, {"x-agora-uid": "bad uid!" * 10}, APP_ID)
        assert answer.status == 401
        assert (await rest.peer("alice", BODY, None, "not-an-app")).status == 404


async def test_without_configured_credentials_basic_never_authenticates(
    server: Server,
) -> None:
    async with aiohttp.ClientSession() as http:
        rest = RestClient(http, server)
        assert (await rest.peer("alice", BODY, BASIC)).status == 401
        assert (await rest.peer("alice", BODY, basic("", ""))).status == 401


async def test_no_secret_or_token_reaches_the_log(
    rest: RestClient, caplog: pytest.LogCaptureFixture
) -> None:
    headers = token_headers("alice")
    caplog.set_level("DEBUG")
    await rest.peer("alice", BODY, headers)
    await rest.peer("alice", BODY, basic(CUSTOMER_ID, "wrong"))
    await rest.peer("alice", {"destination": "bob", "payload": "secret payload"})
    assert headers["x-agora-token"] not in caplog.text
    assert "s3cret" not in caplog.text
    assert "secret payload" not in caplog.text
