"""Hypothesis against the running server: random frames on raw connections (design §8).

Strategies: arbitrary bytes as text frames, arbitrary JSON values, valid login/logout frames
put through random mutations (keys dropped, values replaced, unknown and duplicate keys, random
ops, reordered keys, wrapped in a list, truncated, invalid UTF-8 injected, nesting past the
recursion limit), binary frames, and fragmented messages. Each example sends its frames over one
or several raw connections (in lockstep, or all at once) to one server shared by the test's
examples.

The accounting checked, from ``Session.on_frame`` and the login service: every text or binary
message gets exactly one answer, a ``reply`` or an ``error``, until the connection closes; a
connection closes only after the reply to a logout of a logged-in session (1000) or, with
several connections, when another one logs in as the same uid (4001). The answer to a JSON
object carries its integer ``id`` (the last one, if the key is repeated) and null otherwise.
(``ack`` frames are not generated: a valid one gets no answer by design.) After each example
the server still answers, logged no warning or error, and an SDK client logs in and out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from picows import WSMsgType

import openrtm
from openrtm.protocol.codec import REQUEST_TYPES
from openrtm.protocol.codes import CloseCode
from openrtm.protocol.messages import PROTOCOL_VERSION
from openrtm.server import Server
from tests.conftest import APP_ID, unit
from tests.server.test_gateway_frames import ConnectionClosed, RawClient

# --- frames ---------------------------------------------------------------------------------

UNKNOWN: Any = type("Unknown", (), {"__repr__": lambda self: "UNKNOWN"})()
"""The answer's id is not predicted (arbitrary bytes may or may not hold a readable id)."""


@dataclass(frozen=True)
class Frame:
    """One message to send: a text (or binary) payload, maybe split into fragments.

    Attributes:
        data: the payload.
        binary: send as a binary message.
        cuts: offsets at which the payload is split into a first frame and continuations.
        expect_id: the id the answer must carry, or UNKNOWN.
    """

    data: bytes
    binary: bool = False
    cuts: tuple[int, ...] = ()
    expect_id: Any = UNKNOWN

    def send(self, client: RawClient) -> None:
        bounds = [0, *self.cuts, len(self.data)]
        parts = [self.data[a:b] for a, b in itertools.pairwise(bounds)]
        if self.binary and len(parts) == 1:
            client.send_binary(self.data)
        elif len(parts) == 1:
            client.send_text(self.data)
        else:
            msg_type = WSMsgType.BINARY if self.binary else WSMsgType.TEXT
            client.send_fragments(*parts, msg_type=msg_type)


def _id_of(items: list[tuple[str, Any]]) -> int | None:
    """The id the server reads from an object: the last ``id`` key, if its value is an int."""
    found: Any = None
    for key, value in items:
        if key == "id":
            found = value
    return found if type(found) is int else None


def _encode_items(items: list[tuple[str, Any]], ensure_ascii: bool) -> bytes:
    """A JSON object from key/value pairs, duplicates kept in order."""
    parts = (
        json.dumps(k, ensure_ascii=ensure_ascii)
        + ":"
        + json.dumps(v, ensure_ascii=ensure_ascii, allow_nan=False)
        for k, v in items
    )
    return ("{" + ",".join(parts) + "}").encode()


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
# Other operations appear only by name: without their fields they are refused, which is all
# this fuzzer can account for. ``ack`` is left out: a valid one gets no answer by design.
OTHER_OPS = sorted(set(REQUEST_TYPES) - {"login", "logout", "ack"})
interesting_ops = st.sampled_from(
    ["login", "logout", "LOGIN", "Logout", "", " login", "zz", "reply", *OTHER_OPS]
)
interesting_keys = st.sampled_from(["op", "id", "v", "app_id", "uid", "token", "sdk", "t", ""])
interesting_values = st.sampled_from(
    [0, -1, 1, PROTOCOL_VERSION, 99, 2**63 - 1, 2**64, True, None, "", "null", APP_ID, "alice"]
)


@st.composite
def json_frames(draw: st.DrawFn) -> Frame:
    """(b) an arbitrary JSON value as a text frame."""
    value = draw(json_values)
    items = list(value.items()) if isinstance(value, dict) else None
    data = json.dumps(value, ensure_ascii=draw(st.booleans()), allow_nan=False).encode()
    return Frame(data, expect_id=_id_of(items) if items is not None else None)


# Invalid UTF-8: a lone continuation byte, bytes never valid, a truncated two-byte sequence,
# an overlong "/", an encoded surrogate.
BAD_UTF8 = [b"\x80", b"\xff\xfe", b"\xc3", b"\xc0\xaf", b"\xed\xa0\x80"]


@st.composite
def mutated_frames(draw: st.DrawFn, uid: str = "fuzz") -> Frame:
    """(c) a valid login or logout frame after zero or more random mutations."""
    request_id = draw(st.integers(min_value=0, max_value=2**31) | interesting_values)
    items: list[tuple[str, Any]]
    if draw(st.booleans()):
        items = [
            ("op", "login"),
            ("id", request_id),
            ("v", PROTOCOL_VERSION),
            ("app_id", APP_ID),
            ("uid", uid),
        ]
        if draw(st.booleans()):
            items.append(("sdk", "fuzz/1"))
    else:
        items = [("op", "logout"), ("id", request_id)]
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        mutation = draw(st.sampled_from(["drop", "replace", "add", "op", "duplicate", "shuffle"]))
        if mutation == "add" or not items:
            key = draw(st.text(max_size=8) | interesting_keys)
            items.append((key, draw(json_values | interesting_values)))
            continue
        i = draw(st.integers(min_value=0, max_value=len(items) - 1))
        if mutation == "drop":
            del items[i]
        elif mutation == "replace":
            items[i] = (items[i][0], draw(json_values | interesting_values))
        elif mutation == "op":
            items = [(k, v) for k, v in items if k != "op"]
            items.insert(min(i, len(items)), ("op", draw(st.text(max_size=12) | interesting_ops)))
        elif mutation == "duplicate":
            key = items[draw(st.integers(min_value=0, max_value=len(items) - 1))][0]
            items.insert(i, (key, draw(json_values | interesting_values | interesting_ops)))
        else:
            items = draw(st.permutations(items))
    data = _encode_items(items, ensure_ascii=draw(st.booleans()))
    expect_id: Any = _id_of(items)
    wrapping = draw(
        st.sampled_from(
            ["none", "none", "none", "none", "list", "truncate", "spaces", "bad_utf8", "deep"]
        )
    )
    if wrapping == "list":
        data, expect_id = b"[" + data + b"]", None
    elif wrapping == "truncate":
        data, expect_id = data[: draw(st.integers(min_value=0, max_value=len(data) - 1))], None
    elif wrapping == "spaces":
        data = b" \r\n\t" + data + b"\n "
    elif wrapping == "bad_utf8":
        # Invalid UTF-8 just after some quote: in a key, in a value, or between tokens.
        quotes = [i for i, byte in enumerate(data) if byte == ord('"')] or [0]
        at = draw(st.sampled_from(quotes)) + 1
        data, expect_id = data[:at] + draw(st.sampled_from(BAD_UTF8)) + data[at:], UNKNOWN
    elif wrapping == "deep":
        # Nesting deeper than the interpreter's recursion limit, under some key.
        depth = draw(st.integers(min_value=500, max_value=5000))
        key = draw(st.sampled_from(["x", "id", "op", "uid", "sdk"])).encode()
        nested = b"[" * depth + b"]" * depth
        sep = b"" if data == b"{}" else b","
        data, expect_id = data[:-1] + sep + b'"' + key + b'":' + nested + b"}", UNKNOWN
    return Frame(data, expect_id=expect_id)


def raw_byte_frames() -> st.SearchStrategy[Frame]:
    """(a) arbitrary bytes as a text frame (not necessarily UTF-8)."""
    return st.binary(max_size=120).map(Frame)


def binary_frames() -> st.SearchStrategy[Frame]:
    return st.binary(max_size=40).map(lambda b: Frame(b, binary=True, expect_id=None))


@st.composite
def fragmented(draw: st.DrawFn, frames: st.SearchStrategy[Frame]) -> Frame:
    """Some frame, sent as a fragmented message."""
    frame = draw(frames)
    cuts = draw(
        st.lists(st.integers(min_value=0, max_value=len(frame.data)), min_size=1, max_size=3)
    )
    return Frame(frame.data, frame.binary, tuple(sorted(cuts)), frame.expect_id)


def any_frame(uid: str = "fuzz") -> st.SearchStrategy[Frame]:
    single = st.one_of(
        raw_byte_frames(),
        json_frames(),
        mutated_frames(uid),
        mutated_frames(uid),
        mutated_frames(uid),
        binary_frames(),
    ).filter(lambda frame: _op_of(frame) != "ack")
    return st.one_of(single, single, single, fragmented(single))


def frame_lists(uid: str = "fuzz", max_size: int = 15) -> st.SearchStrategy[list[Frame]]:
    return st.lists(any_frame(uid), max_size=max_size)


# --- checking the answers -------------------------------------------------------------------

ERROR_NAMES = {
    "RtmInvalidArgumentError",
    "RtmInvalidStatusError",
    "RtmUnavailableError",
    "RtmUnauthenticatedError",
    "RtmLimitExceededError",
    "RtmInvokeTooOftenError",
    "RtmTimeoutError",
    "RtmUnknownError",
}
# What would betray server internals in a message, unless the client sent it itself.
LEAKS = ("Traceback", "Exception", 'File "', ".py", "site-packages", "/src/", " object at 0x")


def _op_of(frame: Frame) -> Any:
    """The op a text frame names, as the server reads it (the last ``op`` key), if any."""
    if frame.binary:
        return None
    try:
        value = json.loads(frame.data)
    except (ValueError, RecursionError):
        return None  # unreadable here; the server may still read it (invalid UTF-8 in a key)
    return value.get("op") if isinstance(value, dict) else None


@dataclass
class Conversation:
    """What one raw connection saw, and the session state its answers imply.

    Attributes:
        answers: the replies and errors, in order of arrival.
        pushes: frames that answer no request (``t`` other than reply/error, no id).
    """

    client: RawClient
    logged_in: bool = False
    answers: list[dict[str, Any]] = field(default_factory=list)
    pushes: list[dict[str, Any]] = field(default_factory=list)
    close_code: int | None = None

    async def next_answer(self) -> dict[str, Any]:
        """The next reply or error; pushes on the way are checked and kept aside."""
        while True:
            frame = await self.client.recv()
            if frame.get("t") in ("reply", "error"):
                return frame
            assert isinstance(frame.get("t"), str), frame
            assert "id" not in frame, f"a push with an id: {frame}"
            assert self.logged_in, f"a push before login: {frame}"
            self.pushes.append(frame)

    def check(self, answer: dict[str, Any], sent: bytes) -> None:
        """Check one answer on its own and against the session state; update the state."""
        self.answers.append(answer)
        assert answer.get("t") in ("reply", "error"), answer
        assert type(answer.get("id")) is int or (
            answer["t"] == "error" and answer.get("id", 0) is None
        ), answer
        if answer["t"] == "error":
            assert set(answer) == {"t", "id", "code", "name", "message"}, answer
            assert type(answer["code"]) is int, answer
            assert answer["name"] in ERROR_NAMES, answer
            message = answer["message"]
            assert isinstance(message, str), answer
            assert message, answer
            event(f"error {answer['code']} {answer['name']}")
            echoed = sent.decode("utf-8", "replace")
            for leak in LEAKS:
                assert leak not in message or leak in echoed, answer
            return
        assert set(answer) <= {"t", "id", "result"}, answer
        result = answer.get("result")
        if isinstance(result, dict) and "session_id" in result:
            # A login's reply: only one per connection.
            assert not self.logged_in, f"second login reply {answer}"
            event("logged in")
            assert isinstance(result["session_id"], str), answer
            assert result["protocol"] == PROTOCOL_VERSION, answer
            self.logged_in = True
        else:
            # Any other operation succeeds only once logged in.
            assert self.logged_in, f"a reply before login: {answer}"


ALLOWED_CLOSES = {CloseCode.NORMAL}


async def _ended(conv: Conversation, allowed: set[int]) -> None:
    """The connection closed: check why, and that nothing follows."""
    conv.close_code = await conv.client.closed()
    event(f"closed with {conv.close_code}")
    assert conv.close_code in allowed, f"closed with {conv.close_code} after {conv.answers}"
    if conv.close_code == CloseCode.NORMAL:
        # Only a logout of a logged-in session closes normally, after its reply.
        assert conv.answers, "closed with 1000 without a logout reply"
        last = conv.answers[-1]
        assert last["t"] == "reply", last
        assert "session_id" not in (last.get("result") or {}), last
        assert conv.logged_in
    while True:  # pushes may still be queued; no answer may be
        try:
            frame = await conv.client.recv()
        except ConnectionClosed:
            break
        assert frame.get("t") not in ("reply", "error"), f"answer after the close: {frame}"


async def lockstep(conv: Conversation, frames: list[Frame], allowed: set[int]) -> None:
    """Send each frame and wait for its one answer, until the end or a close."""
    for frame in frames:
        frame.send(conv.client)
        try:
            answer = await conv.next_answer()
        except ConnectionClosed:
            # The previous frame may have been a logout this test could not parse (1000).
            await _ended(conv, allowed)
            return
        conv.check(answer, frame.data)
        if frame.expect_id is not UNKNOWN:
            assert answer["id"] == frame.expect_id, (frame, answer)
            assert type(answer["id"]) is type(frame.expect_id), (frame, answer)
        if answer["t"] == "reply" and _op_of(frame) == "logout":
            await _ended(conv, {CloseCode.NORMAL})
            return


_sentinels = iter(range(7_345_981_230_112_377, 2**62))


def _sentinel() -> tuple[bytes, int]:
    sentinel_id = next(_sentinels)
    return json.dumps({"op": "fuzz.sentinel", "id": sentinel_id}).encode(), sentinel_id


async def pipelined(conv: Conversation, frames: list[Frame], allowed: set[int]) -> None:
    """Send every frame at once, then a sentinel; count the answers."""
    for frame in frames:
        frame.send(conv.client)
    data, sentinel_id = _sentinel()
    conv.client.send_text(data)
    sent = b"".join(f.data for f in frames) + data
    answers: list[dict[str, Any]] = []
    while len(answers) < len(frames) + 1:
        try:
            answer = await conv.next_answer()
        except ConnectionClosed:
            await _ended(conv, allowed)
            assert len(answers) <= len(frames)
            assert sentinel_id not in [a["id"] for a in answers]
            return
        conv.check(answer, sent)
        answers.append(answer)
    assert [a["id"] for a in answers].count(sentinel_id) == 1, answers
    # Every predicted id was answered (ids may repeat, so compare as multisets).
    predicted = Counter(f.expect_id for f in frames if f.expect_id is not UNKNOWN)
    answered = Counter(a["id"] for a in answers)
    assert not predicted - answered, (predicted, answered)
    # Nothing more is on its way: the next answer is the next sentinel's.
    data, sentinel_id = _sentinel()
    conv.client.send_text(data)
    try:
        answer = await conv.next_answer()
    except ConnectionClosed:
        await _ended(conv, allowed - {CloseCode.NORMAL})
        return
    assert answer["id"] == sentinel_id, f"extra answer {answer}"


# --- the server under test ------------------------------------------------------------------


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# picows logs for the server under "picows." + the gateway's logger name.
SERVER_LOGGERS = ("openrtm", "picows.openrtm")


@pytest.fixture
def server_warnings() -> Iterator[list[logging.LogRecord]]:
    """Warnings and errors the server (and picows on its behalf) logs during the test."""
    handler = _Records()
    loggers = [logging.getLogger(name) for name in SERVER_LOGGERS]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler.records
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


async def assert_server_healthy(server: Server, warnings: list[logging.LogRecord]) -> None:
    """The server still answers raw frames and serves an SDK client; it logged nothing bad."""
    probe = await RawClient.open(server.url)
    data, sentinel_id = _sentinel()
    probe.send_text(data)
    answer = await probe.recv()
    assert answer["id"] == sentinel_id
    assert answer["code"] == 1
    await probe.close()
    client = openrtm.create_instance(APP_ID, server=server.url)
    try:
        await asyncio.wait_for(client.login("sdk-check"), unit(5))
        assert client.connection_state == "CONNECTED"
    finally:
        if client.connection_state != "DISCONNECTED":
            await asyncio.wait_for(client.logout(), unit(5))
    assert client.connection_state == "DISCONNECTED"
    assert not warnings, [f"{r.name}: {r.getMessage()}" for r in warnings]


async def _login(client: RawClient, uid: str) -> Conversation:
    conv = Conversation(client)
    frame = {"op": "login", "id": 1, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": uid}
    client.send_json(frame)
    conv.check(await conv.next_answer(), b"")
    assert conv.logged_in
    return conv


FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@settings(FUZZ, max_examples=100)
@given(frames=frame_lists())
async def test_fuzz_one_connection_in_lockstep(
    server: Server, server_warnings: list[logging.LogRecord], frames: list[Frame]
) -> None:
    client = await RawClient.open(server.url)
    try:
        await lockstep(Conversation(client), frames, ALLOWED_CLOSES)
        assert not client.unexpected
    finally:
        await client.close()
    await assert_server_healthy(server, server_warnings)


@settings(FUZZ, max_examples=100)
@given(frames=frame_lists(max_size=25))
async def test_fuzz_one_connection_pipelined(
    server: Server, server_warnings: list[logging.LogRecord], frames: list[Frame]
) -> None:
    client = await RawClient.open(server.url)
    try:
        await pipelined(Conversation(client), frames, ALLOWED_CLOSES)
        assert not client.unexpected
    finally:
        await client.close()
    await assert_server_healthy(server, server_warnings)


@st.composite
def conversations(draw: st.DrawFn) -> list[tuple[bool, list[Frame]]]:
    """2-5 connections: pipelined or not, each with its own uid or a shared one."""
    found = []
    for i in range(draw(st.integers(min_value=2, max_value=5))):
        uid = draw(st.sampled_from([f"fuzz{i}", "fuzz"]))
        found.append((draw(st.booleans()), draw(frame_lists(uid, max_size=10))))
    return found


@settings(FUZZ, max_examples=40)
@given(conversations=conversations())
async def test_fuzz_several_connections_at_once(
    server: Server,
    server_warnings: list[logging.LogRecord],
    conversations: list[tuple[bool, list[Frame]]],
) -> None:
    # Mutations may give two connections the same valid uid: the older one is then kicked.
    allowed = ALLOWED_CLOSES | {CloseCode.REMOTE_LOGIN}
    clients = [await RawClient.open(server.url) for _ in conversations]
    try:
        await asyncio.gather(
            *(
                (pipelined if in_one_go else lockstep)(Conversation(client), frames, allowed)
                for client, (in_one_go, frames) in zip(clients, conversations, strict=True)
            )
        )
    finally:
        await asyncio.gather(*(client.close() for client in clients))
    await assert_server_healthy(server, server_warnings)


@settings(FUZZ, max_examples=80)
@given(in_one_go=st.booleans(), frames=frame_lists(uid="fuzz-logged-in"))
async def test_fuzz_while_logged_in(
    server: Server,
    server_warnings: list[logging.LogRecord],
    in_one_go: bool,
    frames: list[Frame],
) -> None:
    client = await RawClient.open(server.url)
    try:
        conv = await _login(client, "fuzz-logged-in")
        await (pipelined if in_one_go else lockstep)(conv, frames, ALLOWED_CLOSES)
        if conv.close_code is None:
            # Still logged in (a refused logout changes nothing): a logout ends it normally.
            client.send_json({"op": "logout", "id": 2})
            assert await conv.next_answer() == {"t": "reply", "id": 2}
            assert await client.closed() == CloseCode.NORMAL
    finally:
        await client.close()
    await assert_server_healthy(server, server_warnings)


# --- frames msgspec cannot read: invalid UTF-8 in a decoded string, nesting past the limit ---
# (msgspec raises UnicodeDecodeError/RecursionError for them, which once escaped the codec and
# made picows drop the connection with 1011.) Each example holds at least one.

UNREADABLE_FRAMES = [
    Frame(b'{"op":"\xff","id":1}', expect_id=None),
    Frame(
        b'{"op":"login","id":1,"v":1,"app_id":"' + APP_ID.encode() + b'","uid":"a\xc0"}',
        expect_id=None,
    ),
    Frame(b'{"op":"zz","id":1,"x":' + b"[" * 3000 + b"]" * 3000 + b"}", expect_id=None),
    Frame(b'{"op":"logout","id":' + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}", expect_id=None),
    Frame(b'{"op":"zz","id":2,"x":"\xff"}', expect_id=2),  # a skipped field is not read
]


@settings(FUZZ, max_examples=30)
@given(
    frames=frame_lists(max_size=8),
    unreadable=st.lists(st.sampled_from(UNREADABLE_FRAMES), min_size=1, max_size=3),
    positions=st.lists(st.integers(min_value=0, max_value=10), min_size=3, max_size=3),
    logged_in=st.booleans(),
    in_one_go=st.booleans(),
)
async def test_fuzz_with_unreadable_frames(
    server: Server,
    server_warnings: list[logging.LogRecord],
    frames: list[Frame],
    unreadable: list[Frame],
    positions: list[int],
    logged_in: bool,
    in_one_go: bool,
) -> None:
    for frame, at in zip(unreadable, positions, strict=False):
        frames.insert(min(at, len(frames)), frame)
    client = await RawClient.open(server.url)
    try:
        conv = await _login(client, "fuzz-unreadable") if logged_in else Conversation(client)
        await (pipelined if in_one_go else lockstep)(conv, frames, ALLOWED_CLOSES)
    finally:
        await client.close()
    await assert_server_healthy(server, server_warnings)


def test_strategies_cover_the_interesting_cases() -> None:
    """The mutation strategy does produce valid frames, and frames of each refusal kind."""
    seen: set[str] = set()

    @settings(max_examples=300, database=None)
    @given(frame=mutated_frames())
    def sample(frame: Frame) -> None:
        try:
            value = json.loads(frame.data)
        except (ValueError, RecursionError):
            seen.add("malformed")
            return
        if not isinstance(value, dict):
            seen.add("not an object")
        elif value.get("op") not in ("login", "logout"):
            seen.add("unknown op")
        elif value == {"op": "logout", "id": value.get("id")} and type(value["id"]) is int:
            seen.add("valid logout")
        elif value.get("uid") == "fuzz" and set(value) >= {"op", "id", "v", "app_id"}:
            seen.add("login-like")
        if re.search(rb'"id":.*"id":', frame.data):
            seen.add("duplicate id")

    sample()
    assert seen >= {"malformed", "not an object", "unknown op", "valid logout", "login-like"}
