"""Hostile frames against the real gateway: malformed JSON, wrong types, odd ids, binary and
fragmented messages, oversize frames, the login deadline and a crowd of misbehaving sockets.

Every test runs the real server on a free port and talks to it with a raw picows client
(:class:`RawClient`), so that it can send what no SDK would. The rule under test (design §3):
a refused frame gets exactly one ``error`` frame and the connection goes on; only the close
codes of ``CloseCode`` end a connection.
"""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

import pytest
from picows import (
    WSCloseCode,
    WSFrame,
    WSHandshakeError,
    WSListener,
    WSMsgType,
    WSTransport,
    ws_connect,
)

from openrtm.protocol.codes import CloseCode
from openrtm.protocol.messages import PROTOCOL_VERSION
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, ServerFactory, unit

INVALID_ARGUMENT = "RtmInvalidArgumentError"
INVALID_STATUS = "RtmInvalidStatusError"
UNAVAILABLE = "RtmUnavailableError"


# --- a raw WebSocket client ---------------------------------------------------------------


class ConnectionClosed(AssertionError):
    """The connection ended while a test waited for a text frame."""

    def __init__(self, code: int | None) -> None:
        super().__init__(f"connection closed (close code {code})")
        self.code = code


class _RawListener(WSListener):
    def __init__(self, client: RawClient) -> None:
        self._client = client

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        client = self._client
        if frame.msg_type == WSMsgType.TEXT:
            client._inbox.put_nowait(frame.get_payload_as_bytes())
        elif frame.msg_type == WSMsgType.CLOSE:
            client.close_code = frame.get_close_code().value
            client.close_reason = frame.get_close_message() or b""
            transport.send_close(frame.get_close_code())
            transport.disconnect()
        else:
            # The server sends nothing but text frames and closes (pongs are picows' own).
            client.unexpected.append((frame.msg_type, frame.get_payload_as_bytes()))

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self._client._disconnected.set()
        self._client._inbox.put_nowait(None)


class RawClient:
    """A bare WebSocket client: sends any bytes, decodes what the server answers.

    Attributes:
        close_code: the code of the server's close frame, once one arrived.
        close_reason: its reason bytes.
        received: every text frame received so far, decoded.
        unexpected: frames the server should never send (binary, continuation, ...).
    """

    def __init__(self) -> None:
        self._transport: WSTransport | None = None
        self._inbox: asyncio.Queue[bytes | None] = asyncio.Queue()
        self._disconnected = asyncio.Event()
        self.close_code: int | None = None
        self.close_reason = b""
        self.received: list[dict[str, Any]] = []
        self.unexpected: list[tuple[WSMsgType, bytes]] = []

    @classmethod
    async def open(cls, url: str) -> RawClient:
        """Connect a new client to ``url``."""
        client = cls()
        await client.connect(url)
        return client

    async def connect(self, url: str) -> None:
        """Open the WebSocket connection (raises ``WSHandshakeError`` if refused)."""
        self._transport, _ = await asyncio.wait_for(
            ws_connect(lambda: _RawListener(self), url), unit(5)
        )

    @property
    def transport(self) -> WSTransport:
        assert self._transport is not None, "not connected"
        return self._transport

    @property
    def is_closed(self) -> bool:
        return self._disconnected.is_set()

    def send_text(self, data: bytes) -> None:
        """Send one text frame with exactly these bytes (valid UTF-8 or not)."""
        self.transport.send(WSMsgType.TEXT, data)

    def send_json(self, value: Any) -> None:
        """Send ``value`` encoded as JSON in one text frame."""
        self.send_text(json.dumps(value).encode())

    def send_binary(self, data: bytes) -> None:
        """Send one binary frame."""
        self.transport.send(WSMsgType.BINARY, data)

    def send_fragments(self, *parts: bytes, msg_type: WSMsgType = WSMsgType.TEXT) -> None:
        """Send one message split into ``parts`` (a first frame, then continuations)."""
        assert parts, "at least one fragment"
        last = len(parts) - 1
        for i, part in enumerate(parts):
            self.transport.send(msg_type if i == 0 else WSMsgType.CONTINUATION, part, fin=i == last)

    async def recv(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the next text frame and decode it.

        Raises:
            ConnectionClosed: the connection ended first.
        """
        data = await asyncio.wait_for(self._inbox.get(), timeout or unit(5))
        if data is None:
            self._inbox.put_nowait(None)  # later calls see the end too
            raise ConnectionClosed(self.close_code)
        frame = json.loads(data)
        assert isinstance(frame, dict), data
        self.received.append(frame)
        return frame

    async def request(self, value: Any, timeout: float | None = None) -> dict[str, Any]:
        """Send ``value`` as JSON and wait for the next frame."""
        self.send_json(value)
        return await self.recv(timeout)

    async def closed(self, timeout: float | None = None) -> int | None:
        """Wait until the connection ends; return the server's close code (None: no close)."""
        await asyncio.wait_for(self._disconnected.wait(), timeout or unit(5))
        return self.close_code

    async def close(self) -> None:
        """Close from our side (no-op when already closed) and wait for the end."""
        if self._transport is None or self.is_closed:
            return
        self._transport.send_close(WSCloseCode.OK)
        self._transport.disconnect()
        await self.closed()

    async def login(self, uid: str = "alice", request_id: int = 1000) -> dict[str, Any]:
        """Log in with a valid frame and check the reply."""
        reply = await self.request(
            {"op": "login", "id": request_id, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": uid}
        )
        assert_login_reply(reply, request_id)
        return reply


def login_frame(request_id: Any = 1, **changes: Any) -> dict[str, Any]:
    """A valid login frame, with ``changes`` applied (a value of ``...`` drops the key)."""
    frame: dict[str, Any] = {
        "op": "login",
        "id": request_id,
        "v": PROTOCOL_VERSION,
        "app_id": APP_ID,
        "uid": "alice",
    }
    frame.update(changes)
    return {k: v for k, v in frame.items() if v is not ...}


def assert_login_reply(frame: dict[str, Any], request_id: int) -> None:
    assert frame["t"] == "reply", frame
    assert frame["id"] == request_id
    result = frame["result"]
    assert isinstance(result["session_id"], str)
    assert result["session_id"]
    assert result["protocol"] == PROTOCOL_VERSION


def assert_error(frame: dict[str, Any], *, code: int, name: str, request_id: int | None) -> None:
    """``frame`` is the refusal of request ``request_id`` with ``code``/``name``."""
    assert frame["t"] == "error", frame
    assert frame["code"] == code, frame
    assert frame["name"] == name, frame
    assert frame["id"] == request_id, frame
    assert type(frame["id"]) is type(request_id), frame  # 1 is not true, null is not 0
    assert isinstance(frame["message"], str)
    assert frame["message"]
    assert "Traceback" not in frame["message"]
    assert set(frame) == {"t", "id", "code", "name", "message"}, frame


async def assert_survives(client: RawClient, request_id: int = 1000) -> None:
    """The connection still works: a valid login on it succeeds."""
    await client.login(request_id=request_id)
    assert not client.unexpected


@pytest.fixture
async def raw(server: Server) -> Any:
    """A raw client connected to the development-mode server."""
    client = await RawClient.open(server.url)
    yield client
    await client.close()


# --- frames refused with ProtocolError.INVALID_ARGUMENT (code 1) ---------------------------

_HUGE = 123456789012345678901234567890  # beyond 64 bits

# (frame bytes, expected error id): frames that name no known operation.
NOT_A_REQUEST: dict[str, tuple[bytes, int | None]] = {
    "not_json": (b"nope", None),
    "empty_frame": (b"", None),
    "whitespace_only": (b"  \n", None),
    "truncated_object": (b'{"op":"login","id":5', None),
    "trailing_garbage": (b'{"op":"logout","id":5} x', None),
    "two_objects": (b'{"op":"zz","id":1}{"op":"zz","id":2}', None),
    "json_array": (b'[{"op":"login","id":5}]', None),
    "json_string": (b'"login"', None),
    "json_number": (b"42", None),
    "json_null": (b"null", None),
    "json_true": (b"true", None),
    "nan_literal": (b'{"op":"logout","id":NaN}', None),
    "object_without_op": (b'{"id":4}', 4),
    "empty_object": (b"{}", None),
    "op_not_string_int": (b'{"op":1,"id":5}', 5),
    "op_null": (b'{"op":null,"id":6}', 6),
    "op_list": (b'{"op":["login"],"id":6}', 6),
    "op_object": (b'{"op":{"op":"login"},"id":6}', 6),
    "unknown_op_with_id": (b'{"op":"zz","id":7}', 7),
    "unknown_op_without_id": (b'{"op":"zz"}', None),
    "unknown_op_negative_id": (b'{"op":"zz","id":-7}', -7),
    "unknown_op_zero_id": (b'{"op":"zz","id":0}', 0),
    "op_is_case_sensitive": (b'{"op":"LOGIN","id":8}', 8),
    "op_with_spaces": (b'{"op":" login","id":8}', 8),
    "empty_op": (b'{"op":"","id":8}', 8),
    "unknown_op_string_id": (b'{"op":"zz","id":"7"}', None),
    "unknown_op_float_id": (b'{"op":"zz","id":7.0}', None),
    "unknown_op_bool_id": (b'{"op":"zz","id":true}', None),
    "unknown_op_null_id": (b'{"op":"zz","id":null}', None),
    "unknown_op_list_id": (b'{"op":"zz","id":[7]}', None),
    "unknown_op_exponent_id": (b'{"op":"zz","id":1e3}', None),
    "unknown_op_float_overflow_id": (b'{"op":"zz","id":1e400}', None),
    # Ids are Python ints on the server: one beyond 64 bits is echoed exactly as sent.
    "unknown_op_huge_id": (b'{"op":"zz","id":%d}' % _HUGE, _HUGE),
    "unknown_op_uint64_max_id": (b'{"op":"zz","id":18446744073709551615}', 2**64 - 1),
    "unknown_op_int64_min_id": (b'{"op":"zz","id":-9223372036854775808}', -(2**63)),
    # msgspec refuses integer literals of thousands of digits: the frame counts as malformed.
    "unknown_op_5000_digit_id": (b'{"op":"zz","id":' + b"9" * 5000 + b"}", None),
    # Invalid UTF-8 in a string nobody reads is skipped; the id is still recovered.
    "invalid_utf8_in_unknown_field": (b'{"op":"zz","id":3,"x":"\xff\xfe"}', 3),
    # A lone surrogate escape is not valid JSON text for msgspec.
    "lone_surrogate_in_op": (b'{"op":"\\ud800","id":3}', None),
    "nul_in_op": (b'{"op":"login\\u0000","id":3}', 3),
    # Duplicate keys: the last occurrence is the one that counts for the id and the op.
    "duplicate_op_last_unknown": (b'{"op":"login","op":"zz","id":3}', 3),
    "duplicate_id_last_wins": (b'{"op":"zz","id":1,"id":2}', 2),
    "duplicate_id_last_not_int": (b'{"op":"zz","id":1,"id":"2"}', None),
    "moderate_nesting_in_unknown_field": (
        b'{"op":"zz","id":9,"x":' + b"[" * 200 + b"]" * 200 + b"}",
        9,
    ),
    "deep_nesting_top_level": (b"[" * 100_000 + b"]" * 100_000, None),
}


@pytest.mark.parametrize(("data", "request_id"), NOT_A_REQUEST.values(), ids=NOT_A_REQUEST.keys())
async def test_frame_naming_no_operation_is_refused_with_code_1(
    raw: RawClient, data: bytes, request_id: int | None
) -> None:
    raw.send_text(data)
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=request_id)
    await assert_survives(raw)


async def test_refusals_name_what_is_wrong(raw: RawClient) -> None:
    raw.send_text(b"nope")
    assert "not a JSON object" in (await raw.recv())["message"]
    raw.send_text(b'{"op":1,"id":1}')
    assert "op" in (await raw.recv())["message"]
    raw.send_text(b'{"op":"zz","id":1}')
    assert "zz" in (await raw.recv())["message"]


async def test_unknown_op_name_is_truncated_in_the_message(raw: RawClient) -> None:
    raw.send_json({"op": "q" * 100_000, "id": 1})
    frame = await raw.recv()
    assert_error(frame, code=1, name=INVALID_ARGUMENT, request_id=1)
    assert len(frame["message"]) < 200


# --- known operations with bad fields ------------------------------------------------------

# (frame, expected error id): login frames whose fields do not validate: LoginError 3.
BAD_LOGIN: dict[str, tuple[dict[str, Any], int | None]] = {
    "uid_int": (login_frame(3, uid=5), 3),
    "uid_null": (login_frame(3, uid=None), 3),
    "uid_list": (login_frame(3, uid=["alice"]), 3),
    "token_int": (login_frame(3, token=12345), 3),
    "token_object": (login_frame(3, token={"t": "x"}), 3),
    "v_str": (login_frame(3, v="1"), 3),
    "v_float": (login_frame(3, v=1.5), 3),
    "v_bool": (login_frame(3, v=True), 3),
    "v_null": (login_frame(3, v=None), 3),
    "app_id_int": (login_frame(3, app_id=12), 3),
    "sdk_int": (login_frame(3, sdk=1), 3),
    "missing_uid": (login_frame(3, uid=...), 3),
    "missing_app_id": (login_frame(3, app_id=...), 3),
    "missing_v": (login_frame(3, v=...), 3),
    "missing_id": (login_frame(...), None),
    "only_op": ({"op": "login"}, None),
    "id_string": (login_frame("3"), None),
    "id_float": (login_frame(3.0), None),
    "id_fraction": (login_frame(3.5), None),
    "id_bool": (login_frame(True), None),
    "id_null": (login_frame(None), None),
    "id_object": (login_frame({"id": 3}), None),
    # Checked after decoding: still code 3 (spec §4.1), with the id.
    "uid_empty": (login_frame(3, uid=""), 3),
    "uid_literal_null": (login_frame(3, uid="null"), 3),
    "uid_too_long": (login_frame(3, uid="a" * 65), 3),
    "uid_bad_chars": (login_frame(3, uid="a/b"), 3),
    "uid_nul": (login_frame(3, uid="a\x00"), 3),
    "uid_non_ascii": (login_frame(3, uid="ålice"), 3),
}


@pytest.mark.parametrize(("frame", "request_id"), BAD_LOGIN.values(), ids=BAD_LOGIN.keys())
async def test_login_with_bad_fields_is_refused_with_code_3(
    raw: RawClient, frame: dict[str, Any], request_id: int | None
) -> None:
    assert_error(await raw.request(frame), code=3, name=INVALID_ARGUMENT, request_id=request_id)
    await assert_survives(raw)


@pytest.mark.parametrize("app_id", ["short", "0123456789abcdef0123456789abcde!", "", "é" * 32])
async def test_login_with_malformed_app_id_is_refused_with_code_4(
    raw: RawClient, app_id: str
) -> None:
    frame = await raw.request(login_frame(4, app_id=app_id))
    assert_error(frame, code=4, name="RtmUnauthenticatedError", request_id=4)
    await assert_survives(raw)


async def test_login_with_5000_digit_version_is_refused_with_code_3(raw: RawClient) -> None:
    """msgspec refuses an integer of thousands of digits ("out of range"): a field error."""
    data = json.dumps(login_frame(3, v=0)).encode().replace(b'"v": 0', b'"v": ' + b"9" * 5000)
    raw.send_text(data)
    assert_error(await raw.recv(), code=3, name=INVALID_ARGUMENT, request_id=3)
    await assert_survives(raw)


async def test_login_ignores_unknown_fields(raw: RawClient) -> None:
    reply = await raw.request(login_frame(1, extra={"nested": [1, 2]}, zzz=None))
    assert_login_reply(reply, 1)


async def test_login_with_huge_id_is_answered_with_the_same_id(raw: RawClient) -> None:
    """An id beyond 64 bits is not refused: the server echoes it exactly (Python ints)."""
    reply = await raw.request(login_frame(_HUGE))
    assert reply["t"] == "reply"
    assert reply["id"] == _HUGE


async def test_login_accepts_ids_at_the_64_bit_bounds(raw: RawClient) -> None:
    assert_error(
        await raw.request(login_frame(2**64 - 1, v=99)),
        code=2,
        name=UNAVAILABLE,
        request_id=2**64 - 1,
    )
    assert_error(
        await raw.request(login_frame(-(2**63), v=99)),
        code=2,
        name=UNAVAILABLE,
        request_id=-(2**63),
    )


async def test_duplicate_op_key_with_last_login_uses_the_login_code(raw: RawClient) -> None:
    """Duplicate ``op``: the refusal follows the last one (here a login: code 3)."""
    raw.send_text(b'{"op":"zz","op":"login","id":3}')
    assert_error(await raw.recv(), code=3, name=INVALID_ARGUMENT, request_id=3)
    await assert_survives(raw)


@pytest.mark.parametrize(
    ("data", "request_id"),
    [
        (b'{"op":"logout","id":"2"}', None),
        (b'{"op":"logout","id":2.5}', None),
        (b'{"op":"logout","id":false}', None),
        (b'{"op":"logout"}', None),
        (b'{"op":"logout","id":2,"id":"x"}', None),
        (b'{"op":"logout","id":"x","id":2}', 2),
    ],
    ids=["id_string", "id_float", "id_bool", "id_missing", "dup_id_last_str", "dup_id_last_int"],
)
async def test_logout_with_bad_fields_is_refused_with_code_1(
    raw: RawClient, data: bytes, request_id: int | None
) -> None:
    """Logout's invalid-frame code is LOGOUT_ERR_REJECTED (1), an RtmUnavailableError."""
    raw.send_text(data)
    assert_error(await raw.recv(), code=1, name=UNAVAILABLE, request_id=request_id)
    await assert_survives(raw)


async def test_logout_before_login_is_refused_with_code_102(raw: RawClient) -> None:
    assert_error(
        await raw.request({"op": "logout", "id": 9}),
        code=102,
        name=INVALID_STATUS,
        request_id=9,
    )
    await assert_survives(raw)


async def test_logout_with_unknown_fields_before_login_is_code_102(raw: RawClient) -> None:
    assert_error(
        await raw.request({"op": "logout", "id": 9, "extra": [1]}),
        code=102,
        name=INVALID_STATUS,
        request_id=9,
    )


async def test_logout_with_huge_id_before_login_echoes_the_id(raw: RawClient) -> None:
    frame = await raw.request({"op": "logout", "id": _HUGE})
    assert_error(frame, code=102, name=INVALID_STATUS, request_id=_HUGE)


@pytest.mark.parametrize("version", [99, 0, -1, PROTOCOL_VERSION + 1, _HUGE])
async def test_unsupported_protocol_version_is_refused_with_code_2(
    raw: RawClient, version: int
) -> None:
    frame = await raw.request(login_frame(5, v=version))
    assert_error(frame, code=2, name=UNAVAILABLE, request_id=5)
    # The message names both the version asked for and the one the server speaks.
    assert set(re.findall(r"-?\d+", frame["message"])) == {str(version), str(PROTOCOL_VERSION)}
    await assert_survives(raw)


async def test_ping_is_answered_before_and_after_login(raw: RawClient) -> None:
    # Protocol §3.22: a browser's keepalive, in every state but closed.
    assert await raw.request({"op": "ping", "id": 1}) == {"t": "reply", "id": 1}
    await raw.login(request_id=2)
    assert await raw.request({"op": "ping", "id": 3, "extra": 1}) == {"t": "reply", "id": 3}
    assert_error(
        await raw.request({"op": "ping", "id": "4"}), code=1, name=INVALID_ARGUMENT, request_id=None
    )
    assert await raw.request({"op": "logout", "id": 5}) == {"t": "reply", "id": 5}


async def test_second_login_on_a_connection_is_code_8(raw: RawClient) -> None:
    await raw.login(request_id=1)
    frame = await raw.request(login_frame(2, uid="bob"))
    assert_error(frame, code=8, name=INVALID_STATUS, request_id=2)
    # Still logged in as before: logout works.
    assert await raw.request({"op": "logout", "id": 3}) == {"t": "reply", "id": 3}


async def test_bad_frames_after_login_are_refused_and_the_session_goes_on(raw: RawClient) -> None:
    await raw.login(request_id=1)
    for data, request_id in NOT_A_REQUEST.values():
        raw.send_text(data)
        assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=request_id)
    raw.send_binary(b"\x00")
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    assert await raw.request({"op": "logout", "id": 2}) == {"t": "reply", "id": 2}
    assert await raw.closed() == CloseCode.NORMAL


# --- invalid UTF-8 and deep nesting -------------------------------------------------------
# msgspec raises UnicodeDecodeError and RecursionError for these, not DecodeError; they once
# escaped the codec and picows dropped the connection with 1011. Now they are refused frames.

_LOGIN_HEAD = b'{"op":"login","id":1,"v":1,"app_id":"' + APP_ID.encode() + b'"'
UNREADABLE: dict[str, bytes] = {
    "utf8_in_op": b'{"op":"\xff\xfe","id":1}',
    "utf8_in_uid": _LOGIN_HEAD + b',"uid":"\xff\xfe"}',
    "utf8_truncated_sequence_in_uid": _LOGIN_HEAD + b',"uid":"a\xc3"}',
    "utf8_overlong_encoding_in_uid": _LOGIN_HEAD + b',"uid":"\xc0\xaf"}',
    "utf8_surrogate_bytes_in_repeated_op": b'{"op":"logout","id":1,"x":1,"op":"\xed\xa0\x80"}',
    "nested_array_in_unknown_field": b'{"op":"zz","id":1,"x":' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested_array_as_id": b'{"op":"zz","id":' + b"[" * 5000 + b"]" * 5000 + b"}",
    "nested_objects_in_logout": (
        b'{"op":"logout","id":1,"x":' + b'{"a":' * 5000 + b"1" + b"}" * 5000 + b"}"
    ),
    "nested_array_as_login_sdk": _LOGIN_HEAD + b',"sdk":' + b"[" * 5000 + b"]" * 5000 + b"}",
}


@pytest.mark.parametrize("data", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_invalid_utf8_or_deep_nesting_is_refused_with_code_1(
    raw: RawClient, data: bytes
) -> None:
    raw.send_text(data)
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    assert raw.received[-1]["message"].startswith("malformed frame")
    await assert_survives(raw)


async def test_unreadable_frames_after_login_keep_the_session(raw: RawClient) -> None:
    await raw.login(request_id=1)
    for data in UNREADABLE.values():
        raw.send_text(data)
        assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    assert await raw.request({"op": "logout", "id": 2}) == {"t": "reply", "id": 2}
    assert await raw.closed() == CloseCode.NORMAL


# --- binary, fragmented, oversize ----------------------------------------------------------


@pytest.mark.parametrize("payload", [b"", b"\x00\x01", b'{"op":"login","id":1}', b"\xff" * 1000])
async def test_binary_frame_is_refused_with_null_id(raw: RawClient, payload: bytes) -> None:
    raw.send_binary(payload)
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    await assert_survives(raw)


async def test_fragmented_binary_message_is_refused_once(raw: RawClient) -> None:
    raw.send_fragments(b'{"op":', b'"zz","id":1}', msg_type=WSMsgType.BINARY)
    raw.send_json({"op": "zz", "id": 2})
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    # The continuation of the binary message is dropped, not answered: next comes id 2.
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=2)
    await assert_survives(raw)


async def test_stray_continuation_frame_is_ignored(raw: RawClient) -> None:
    raw.transport.send(WSMsgType.CONTINUATION, b'{"op":"zz","id":1}', fin=True)
    raw.send_json({"op": "zz", "id": 2})
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=2)
    await assert_survives(raw)


async def test_fragmented_login_is_reassembled(raw: RawClient) -> None:
    data = json.dumps(login_frame(11)).encode()
    raw.send_fragments(data[:7], data[7:20], data[20:])
    assert_login_reply(await raw.recv(), 11)


async def test_fragmented_login_with_empty_and_one_byte_fragments(raw: RawClient) -> None:
    data = json.dumps(login_frame(12)).encode()
    parts = [b"", *(data[i : i + 1] for i in range(len(data))), b""]
    raw.send_fragments(*parts)
    assert_login_reply(await raw.recv(), 12)


async def test_fragmented_garbage_is_refused_once(raw: RawClient) -> None:
    raw.send_fragments(b'{"op":"zz",', b'"id":13}')
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=13)
    raw.send_fragments(b"\xff", b"\xfe")
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    await assert_survives(raw)


async def test_fragment_split_inside_a_utf8_sequence_is_reassembled(raw: RawClient) -> None:
    data = '{"op":"zz","id":14,"x":"é€𝄞"}'.encode()
    cut = data.index("€".encode()) + 1  # in the middle of a three-byte sequence
    raw.send_fragments(data[:cut], data[cut:])
    assert_error(await raw.recv(), code=1, name=INVALID_ARGUMENT, request_id=14)


async def test_oversize_frame_closes_with_1009(start_server: ServerFactory) -> None:
    server = await start_server(max_frame_bytes=4096)
    client = await RawClient.open(server.url)
    client.send_text(json.dumps(login_frame(1, sdk="x" * 5000)).encode())
    assert await client.closed(unit(3)) == CloseCode.MESSAGE_TOO_BIG
    assert not client.received  # closed, not answered
    other = await RawClient.open(server.url)
    await other.login()
    await other.close()


async def test_oversize_binary_frame_closes_with_1009(start_server: ServerFactory) -> None:
    server = await start_server(max_frame_bytes=4096)
    client = await RawClient.open(server.url)
    client.send_binary(b"\x00" * 4097)
    assert await client.closed(unit(3)) == CloseCode.MESSAGE_TOO_BIG


async def test_frame_of_exactly_max_bytes_is_accepted(start_server: ServerFactory) -> None:
    server = await start_server(max_frame_bytes=4096)
    client = await RawClient.open(server.url)
    prefix = json.dumps(login_frame(1))[:-1].encode() + b', "pad": "'
    data = prefix + b"x" * (4096 - len(prefix) - 2) + b'"}'
    assert len(data) == 4096
    client.send_text(data)
    assert_login_reply(await client.recv(), 1)
    await client.close()


async def test_fragmented_message_over_max_closes_with_1009(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_frame_bytes=4096)
    client = await RawClient.open(server.url)
    # Every fragment is under the limit; their sum is not.
    client.send_fragments(b'{"op":"zz","x":"', b"x" * 3000, b"x" * 3000, b'"}')
    assert await client.closed(unit(3)) == CloseCode.MESSAGE_TOO_BIG
    assert not client.received
    other = await RawClient.open(server.url)
    data = json.dumps(login_frame(2)).encode()
    other.send_fragments(data[:10], data[10:])
    assert_login_reply(await other.recv(), 2)
    await other.close()


async def test_fragmented_message_of_exactly_max_bytes_is_accepted(
    start_server: ServerFactory,
) -> None:
    server = await start_server(max_frame_bytes=4096)
    client = await RawClient.open(server.url)
    head = b'{"op":"zz","id":3,"x":"'
    data = head + b"x" * (4096 - len(head) - 2) + b'"}'
    client.send_fragments(data[:2000], data[2000:4000], data[4000:])
    assert_error(await client.recv(), code=1, name=INVALID_ARGUMENT, request_id=3)
    await client.close()


# --- the connection's life: login deadline, logout, close ----------------------------------


async def test_silent_connection_is_closed_with_4004(start_server: ServerFactory) -> None:
    server = await start_server(login_timeout=unit(0.3))
    client = await RawClient.open(server.url)
    assert await client.closed(unit(3)) == CloseCode.LOGIN_TIMEOUT
    assert not client.received


async def test_refused_frames_do_not_postpone_the_login_deadline(
    start_server: ServerFactory,
) -> None:
    server = await start_server(login_timeout=unit(0.3))
    client = await RawClient.open(server.url)
    client.send_text(b"nope")
    assert_error(await client.recv(), code=1, name=INVALID_ARGUMENT, request_id=None)
    frame = await client.request(login_frame(1, v=99))  # a refused login
    assert_error(frame, code=2, name=UNAVAILABLE, request_id=1)
    assert await client.closed(unit(3)) == CloseCode.LOGIN_TIMEOUT


async def test_logged_in_connection_outlives_the_login_deadline(
    start_server: ServerFactory,
) -> None:
    server = await start_server(login_timeout=unit(0.3))
    logged_in = await RawClient.open(server.url)
    await logged_in.login()
    # A connection opened later has a later deadline: once it is closed for not logging in,
    # the first connection's deadline has passed too.
    silent = await RawClient.open(server.url)
    assert await silent.closed(unit(3)) == CloseCode.LOGIN_TIMEOUT
    assert not logged_in.is_closed
    assert await logged_in.request({"op": "logout", "id": 2}) == {"t": "reply", "id": 2}
    assert await logged_in.closed() == CloseCode.NORMAL


async def test_logout_replies_then_closes_with_1000(raw: RawClient) -> None:
    await raw.login(request_id=1)
    assert await raw.request({"op": "logout", "id": 2}) == {"t": "reply", "id": 2}
    assert await raw.closed() == CloseCode.NORMAL
    assert raw.received[-1] == {"t": "reply", "id": 2}


async def test_frames_after_logout_are_not_answered(raw: RawClient) -> None:
    await raw.login(request_id=1)
    # Sent together: the logout closes the session; what follows it is dropped.
    raw.send_json({"op": "logout", "id": 2})
    raw.send_json({"op": "zz", "id": 3})
    raw.send_json(login_frame(4))
    assert await raw.recv() == {"t": "reply", "id": 2}
    assert await raw.closed() == CloseCode.NORMAL
    with pytest.raises(ConnectionClosed):
        await raw.recv()
    assert [f["id"] for f in raw.received] == [1, 2]


async def test_client_close_frame_is_echoed(raw: RawClient) -> None:
    raw.transport.send_close(WSCloseCode.OK)
    assert await raw.closed() == WSCloseCode.OK


async def test_wrong_path_is_refused_with_404(server: Server) -> None:
    with pytest.raises(WSHandshakeError) as info:
        await RawClient.open(server.url + "nope")
    assert info.value.response is not None
    assert info.value.response.status == 404


async def test_query_string_on_the_root_path_is_accepted(server: Server) -> None:
    client = await RawClient.open(server.url + "?sdk=raw")
    await client.login()
    await client.close()


# --- many misbehaving sockets at once ------------------------------------------------------

GARBAGE: list[tuple[bytes, int | None]] = [
    (b"nope", None),
    (b"[1,2,3]", None),
    (b'{"op":"zz","id":1}', 1),
    (b'{"op":"logout","id":2}', 2),
    (b'{"op":"login","id":3,"v":1,"app_id":"x","uid":5}', 3),
    (b"\x00\x01\x02", None),
]


async def _misbehave(server: Server, n: int, started: asyncio.Event, done: asyncio.Event) -> int:
    """Connect and send garbage until ``done``; return how many refusals were checked."""
    client = await RawClient.open(server.url)
    checked = 0
    try:
        while not done.is_set() or checked < len(GARBAGE):
            data, request_id = GARBAGE[(n + checked) % len(GARBAGE)]
            client.send_text(data)
            frame = await client.recv(unit(10))
            assert frame["t"] == "error", frame
            assert frame["id"] == request_id, frame
            assert frame["name"].startswith("Rtm")
            checked += 1
            if checked == len(GARBAGE):
                started.set()
        return checked
    finally:
        await client.close()


async def test_sdk_client_works_among_200_misbehaving_connections(
    server: Server, make_client: ClientFactory
) -> None:
    done = asyncio.Event()
    started = [asyncio.Event() for _ in range(200)]
    tasks = [asyncio.create_task(_misbehave(server, n, started[n], done)) for n in range(200)]
    try:
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in started)), unit(30))
        client = make_client(server)
        await asyncio.wait_for(client.login("alice"), unit(10))
        assert client.connection_state == "CONNECTED"
        await asyncio.wait_for(client.logout(), unit(10))
        assert client.connection_state == "DISCONNECTED"
    finally:
        done.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    assert all(isinstance(r, int) and r >= len(GARBAGE) for r in results)


async def test_a_new_message_inside_a_fragmented_one_closes_with_1002(
    server: Server, raw: RawClient
) -> None:
    # RFC 6455 §5.4: fragments of one message may not interleave with another message.
    raw.transport.send(WSMsgType.TEXT, b'{"op":', fin=False)
    raw.send_text(b'{"op":"zz","id":1}')
    assert await raw.closed() == 1002
    other = await RawClient.open(server.url)
    await other.login()
