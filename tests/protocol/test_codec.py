"""Frames in, values out: the codec with no event loop (docs/protocol.md)."""

from __future__ import annotations

import contextlib

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from openrtm.protocol.codec import (
    REQUEST_TYPES,
    FrameError,
    decode_request,
    decode_server_frame,
    encode,
    error_reply,
)
from openrtm.protocol.codes import LoginError
from openrtm.protocol.messages import ErrorReply, Login, LoginResult, Logout, Reply

LOGIN = b'{"op":"login","id":7,"v":1,"app_id":"A","uid":"alice","token":"t","sdk":"x"}'


def test_decodes_a_login() -> None:
    request = decode_request(LOGIN)
    assert request == Login(id=7, v=1, app_id="A", uid="alice", token="t", sdk="x")
    assert request.errors is LoginError
    assert request.invalid_code is LoginError.INVALID_ARGUMENT


def test_unknown_fields_are_ignored() -> None:
    assert decode_request(b'{"op":"logout","id":1,"future":[1,2]}') == Logout(id=1)


def test_every_request_type_is_registered_by_its_tag() -> None:
    assert REQUEST_TYPES["login"] is Login
    assert REQUEST_TYPES["logout"] is Logout
    assert set(REQUEST_TYPES) == {
        "login",
        "logout",
        "renew_token",
        "ping",
        "peer_msg",
        "ack",
        "join",
        "leave",
        "channel_msg",
        "get_members",
        "query_online",
        "subscribe",
        "unsubscribe",
        "query_subscriptions",
        "member_counts",
        "set_user_attrs",
        "update_user_attrs",
        "delete_user_attrs",
        "clear_user_attrs",
        "get_user_attrs",
        "set_channel_attrs",
        "update_channel_attrs",
        "delete_channel_attrs",
        "clear_channel_attrs",
        "get_channel_attrs",
        "call_invite",
        "call_cancel",
        "call_answer",
        "call_received",
        "call_accepted",
    }


@pytest.mark.parametrize(
    ("data", "request_id", "request_type", "detail"),
    [
        (b"nope", None, None, "not a JSON object"),
        (b"[1,2]", None, None, "not a JSON object"),
        (b'{"id":3}', 3, None, "missing string field 'op'"),
        (b'{"id":3,"op":5}', 3, None, "missing string field 'op'"),
        (b'{"id":4,"op":"fly"}', 4, None, "unknown operation 'fly'"),
        (b'{"id":"4","op":"fly"}', None, None, "unknown operation"),
        (b'{"id":5,"op":"login","v":1,"app_id":"A","uid":9}', 5, Login, "$.uid"),
        (b'{"id":6,"op":"login","v":1}', 6, Login, "app_id"),
        (b'{"id":true,"op":"logout"}', None, Logout, "$.id"),
    ],
)
def test_bad_frames_say_what_they_can(
    data: bytes, request_id: int | None, request_type: type | None, detail: str
) -> None:
    with pytest.raises(FrameError) as info:
        decode_request(data)
    assert info.value.request_id == request_id
    assert info.value.request_type is request_type
    assert detail in str(info.value)


def test_unknown_op_is_truncated_in_the_detail() -> None:
    with pytest.raises(FrameError) as info:
        decode_request(b'{"id":1,"op":"' + b"x" * 10_000 + b'"}')
    assert len(str(info.value)) < 120


@given(st.binary(max_size=300))
def test_any_bytes_decode_or_raise_frame_error(data: bytes) -> None:
    with contextlib.suppress(FrameError):
        decode_request(data)


def test_replies_round_trip_through_the_server_frame_decoder() -> None:
    result = LoginResult(session_id="s", protocol=1, server="openrtm/x", server_ts=5)
    frame = decode_server_frame(encode(Reply(id=1, result=result)))
    assert isinstance(frame, Reply)
    assert msgspec.convert(frame.result, LoginResult) == result
    error = decode_server_frame(encode(error_reply(2, LoginError.INVALID_TOKEN, "bad")))
    assert error == ErrorReply(id=2, code=5, name="RtmUnauthenticatedError", message="bad")


def test_replies_omit_an_empty_result() -> None:
    assert encode(Reply(id=3)) == b'{"t":"reply","id":3}'


@pytest.mark.parametrize(
    "data",
    [
        b'{"op":"login","id":1,"uid":"\xff\xfe"}',
        b'{"op":"x","id":1,"k":"\xc3"}',
        b"[" * 5000 + b"]" * 5000,
        b'{"op":"login","id":1,"a":' + b"[" * 5000 + b"]" * 5000 + b"}",
    ],
)
def test_invalid_utf8_and_deep_nesting_are_malformed_frames(data: bytes) -> None:
    with pytest.raises(FrameError):
        decode_request(data)
