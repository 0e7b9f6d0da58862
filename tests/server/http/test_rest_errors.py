"""Bad REST input gets a clear 4xx in the one JSON error shape, never a 500 (spec §7.2–§7.5)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import APP_ID
from tests.server.http.conftest import BASIC, RestClient

PEER_PATH = f"/dev/v2/project/{APP_ID}/rtm/users/alice/peer_messages"
CHANNEL_PATH = f"/dev/v2/project/{APP_ID}/rtm/users/alice/channel_messages"
JSON = {**BASIC, "Content-Type": "application/json"}


async def post_raw(rest: RestClient, path: str, data: bytes, headers: dict[str, str] = JSON):
    return await rest.request("POST", path, data=data, headers=headers)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"", "not valid json"),
        (b"{", "not valid json"),
        (b"\xff\xfe{}", "not valid json"),
        (b'{"destination": "bob", "payload": "\xc3\x28"}', "not valid json"),
        (b"[]", "expected `object`, got `array`"),
        (b"null", "expected `object`, got `null`"),
        (b'"text"', "expected `object`, got `str`"),
        (b"{}", "object missing required field `destination`"),
        (b'{"destination": "bob"}', "object missing required field `payload`"),
        (b'{"destination": 1, "payload": "x"}', "expected `str`, got `int` - at `$.destination`"),
        (b'{"destination": "bob", "payload": ["x"]}', "expected `str`, got `array`"),
        (
            b'{"destination": "bob", "payload": "x", "enable_offline_messaging": "yes"}',
            "expected `bool`, got `str`",
        ),
        (b'{"destination": "bob", "payload": ""}', "payload must not be empty"),
        (b'{"destination": "bob", "payload": "\\ud800"}', "not valid json"),
        (b'{"destination": "", "payload": "x"}', "invalid destination"),
        (b'{"destination": "null", "payload": "x"}', "invalid destination"),
        (b'{"destination": "' + b"b" * 65 + b'", "payload": "x"}', "invalid destination"),
        (b'{"destination": "bob/../x", "payload": "x"}', "invalid destination"),
    ],
)
async def test_malformed_peer_bodies_are_400(rest: RestClient, body: bytes, why: str) -> None:
    answer = await post_raw(rest, PEER_PATH, body)
    assert answer.status == 400, answer.body
    assert answer.body["code"] == "bad_request"
    assert why in answer.body["message"], answer.body


async def test_malformed_channel_bodies_are_400(rest: RestClient) -> None:
    for body, why in [
        ({"payload": "x"}, "missing required field `channel_name`"),
        ({"channel_name": "room"}, "missing required field `payload`"),
        ({"channel_name": "bad channel!*", "payload": "x"}, "invalid channel_name"),
        ({"channel_name": "room", "payload": 3}, "expected `str`, got `int`"),
        ({"channel_name": "room", "payload": "x", "enable_historical_messaging": 1}, "bool"),
    ]:
        answer = await rest.channel("alice", body)
        assert (answer.status, answer.body["code"]) == (400, "bad_request")
        assert why in answer.body["message"]


@pytest.mark.parametrize("send", ["peer", "channel"])
async def test_a_payload_over_32_kb_is_400_and_32_kb_is_fine(rest: RestClient, send: str) -> None:
    async def post(payload: str) -> Any:
        if send == "peer":
            return await rest.peer("alice", {"destination": "bob", "payload": payload})
        return await rest.channel("alice", {"channel_name": "room", "payload": payload})

    assert (await post("x" * 32_768)).status == 200
    assert (await post("é" * 16_384)).status == 200  # 32,768 bytes of UTF-8
    for payload in ("x" * 32_769, "é" * 16_385):
        answer = await post(payload)
        assert (answer.status, answer.body["code"]) == (400, "bad_request")
        assert "32" in answer.body["message"]


async def test_an_invalid_user_id_in_the_path_is_400(rest: RestClient) -> None:
    for sender in ("null", "x" * 65, "a%20b*c"):
        answer = await rest.peer(sender, {"destination": "bob", "payload": "x"})
        assert (answer.status, answer.body["code"]) == (400, "bad_request")


async def test_wait_for_ack_must_be_true_or_false(rest: RestClient) -> None:
    answer = await rest.peer("alice", {"destination": "bob", "payload": "x"}, None, APP_ID, "maybe")
    assert (answer.status, answer.body["code"]) == (400, "bad_request")


async def test_a_body_over_1_mib_is_413(rest: RestClient) -> None:
    body = json.dumps({"destination": "bob", "payload": "x" * (1 << 20)}).encode()
    answer = await post_raw(rest, PEER_PATH, body)
    assert (answer.status, answer.body["code"]) == (413, "payload_too_large")


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""],
)
async def test_a_body_that_is_not_json_is_415(rest: RestClient, content_type: str) -> None:
    headers = {**BASIC, "Content-Type": content_type}
    body = b'{"destination": "bob", "payload": "x"}'
    answer = await post_raw(rest, PEER_PATH, body, headers)
    assert (answer.status, answer.body["code"]) == (415, "unsupported_media_type")


async def test_unknown_paths_and_methods_answer_json(rest: RestClient) -> None:
    answer = await rest.request("GET", "/nope", headers=BASIC)
    assert (answer.status, answer.body["code"]) == (404, "not_found")
    answer = await rest.request("GET", PEER_PATH, headers=BASIC)
    assert (answer.status, answer.body["code"]) == (405, "method_not_allowed")
    assert answer.headers["Allow"] == "POST"
    answer = await rest.request("DELETE", f"/dev/v2/project/{APP_ID}/rtm/vendor/user_events")
    assert answer.status == 405


# --- hostile input (hypothesis) ----------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    [
        "filter",
        "offset",
        "limit",
        "order",
        "destination",
        "payload",
        "channel_name",
        "enable_offline_messaging",
        "enable_historical_messaging",
    ]
)
FIELD_VALUES = (
    JSON_VALUES
    | st.text(min_size=1, max_size=70)
    | st.just("x" * 40_000)
    | st.just("\ud800")
    | st.sampled_from(["bob", "room", "null", ""])
)
OVERSIZE = b'{"destination": "bob", "payload": "' + b"x" * (1 << 20) + b'"}'
BODIES = (
    st.dictionaries(FIELDS, FIELD_VALUES, max_size=5).map(lambda d: json.dumps(d).encode())
    | st.binary(max_size=200)
    | st.just(OVERSIZE)
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/plain", "multipart/form-data"]
)
HISTORY_PATH = f"/dev/v2/project/{APP_ID}/rtm/message/history/query"
PATHS = st.sampled_from([PEER_PATH, CHANNEL_PATH, PEER_PATH + "?wait_for_ack=true", HISTORY_PATH])


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(body=BODIES, content_type=CONTENT_TYPES, path=PATHS)
async def test_hostile_bodies_never_get_a_500_or_a_traceback(
    rest: RestClient,
    caplog: pytest.LogCaptureFixture,
    body: bytes,
    content_type: str,
    path: str,
) -> None:
    caplog.set_level(logging.INFO)
    headers = {**BASIC, "Content-Type": content_type}
    url, _, query = path.partition("?")
    async with rest.http.post(
        rest.url(url) + ("?" + query if query else ""), data=body, headers=headers
    ) as response:
        status = response.status
        assert response.content_type == "application/json"
        payload = await response.json()
    assert status < 500, payload
    assert status in (200, 400, 413, 415, 429), payload
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    headers=st.dictionaries(
        st.sampled_from(["Authorization", "x-agora-token", "x-agora-uid"]),
        st.text(
            alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.just("é"),
            max_size=80,
        )
        | st.sampled_from(["Basic ", "Basic Og==", "Basic " + "A" * 100, "007", "006"]),
        max_size=3,
    )
)
async def test_hostile_credentials_are_401_never_500(
    rest: RestClient, caplog: pytest.LogCaptureFixture, headers: dict[str, str]
) -> None:
    caplog.set_level(logging.INFO)
    try:
        answer = await rest.peer("alice", {"destination": "bob", "payload": "x"}, headers)
    except ValueError:
        return  # aiohttp's client refused to send a header it cannot encode
    assert answer.status in (401, 403), answer.body
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
