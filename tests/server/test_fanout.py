"""Channel fan-out on the real server: encode once, same bytes for everyone, slow consumers cut.

Design §6: a channel message is encoded once and the same bytes are written to every local
member; every connection's outgoing buffer is bounded, and a member that does not read is
disconnected (close 4005, socket aborted) instead of growing the server's memory, while the
other members keep receiving.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import struct
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

import openrtm
from openrtm.protocol.messages import PROTOCOL_VERSION, ChannelMessagePush
from openrtm.server import Server
from openrtm.server.services import channels as channels_module
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit, until
from tests.server.test_gateway_frames import ConnectionClosed, RawClient

# --- helpers ---------------------------------------------------------------------------------


class BytesClient(RawClient):
    """A raw client that also hands out the exact bytes of the frames it received."""

    async def recv_bytes(self, timeout: float | None = None) -> bytes:
        data = await asyncio.wait_for(self._inbox.get(), timeout or unit(5))
        if data is None:
            self._inbox.put_nowait(None)
            raise ConnectionClosed(self.close_code)
        return data

    async def next_of_type(self, kind: str, limit: int = 1000) -> bytes:
        """Skip frames until one whose ``t`` is ``kind``; return its bytes."""
        for _ in range(limit):
            data = await self.recv_bytes()
            if json.loads(data)["t"] == kind:
                return data
        raise AssertionError(f"no {kind} frame in {limit} frames")


async def bytes_member(server: Server, uid: str, channel: str = "room") -> BytesClient:
    client = BytesClient()
    await client.connect(server.url)
    await client.login(uid)
    client.send_json({"op": "join", "id": 1, "channel": channel})
    for _ in range(1000):
        frame = json.loads(await client.recv_bytes())
        if frame.get("id") == 1:
            assert frame == {"t": "reply", "id": 1}, frame
            return client
    raise AssertionError("no answer to join")


def channel_texts(events: Recorder) -> list[str]:
    return [args[0].text for name, args in events.events if name == "ChannelMessage"]


# --- encode once -----------------------------------------------------------------------------


async def test_channel_message_is_the_same_bytes_at_every_member(
    server: Server, make_client: ClientFactory
) -> None:
    members = []
    for start in range(0, 50, 25):
        members += await asyncio.gather(
            *(bytes_member(server, f"m{n:02d}") for n in range(start, start + 25))
        )
    sender = make_client(server)
    await sender.login("sender")
    channel = sender.create_channel("room")
    sent = Recorder(channel, "ChannelMessage")  # type: ignore[arg-type]
    await channel.join()
    await channel.send_message("same for all: é€𝄞")
    frames = await asyncio.gather(*(m.next_of_type("channel_msg") for m in members))
    assert len(set(frames)) == 1
    frame = json.loads(frames[0])
    assert frame["t"] == "channel_msg"
    assert frame["channel"] == "room"
    assert frame["from"] == "sender"
    assert frame["msg"]["text"] == "same for all: é€𝄞"
    assert isinstance(frame["ts"], int)
    assert isinstance(frame["mid"], str)
    assert sent.events == []
    await asyncio.gather(*(m.close() for m in members))


async def test_channel_message_is_encoded_once_per_message(
    server: Server, make_client: ClientFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_encode = channels_module.encode
    encoded: list[ChannelMessagePush] = []

    def counting_encode(frame: Any) -> bytes:
        if isinstance(frame, ChannelMessagePush):
            encoded.append(frame)
        return real_encode(frame)

    monkeypatch.setattr(channels_module, "encode", counting_encode)
    members = await asyncio.gather(*(bytes_member(server, f"m{n:02d}") for n in range(50)))
    sender = make_client(server)
    await sender.login("sender")
    channel = sender.create_channel("room")
    await channel.join()
    for n in range(5):
        await channel.send_message(f"message {n}")
    for m in members:
        got = [json.loads(await m.next_of_type("channel_msg"))["msg"]["text"] for _ in range(5)]
        assert got == [f"message {n}" for n in range(5)]
    assert [f.msg.text for f in encoded] == [f"message {n}" for n in range(5)]
    await asyncio.gather(*(m.close() for m in members))


# --- slow consumers --------------------------------------------------------------------------


class StalledClient:
    """A WebSocket client on a plain non-blocking socket, with a tiny receive buffer.

    It does the handshake, sends masked frames and reads the server's frames only when asked:
    once a test stops calling :meth:`request`, nothing reads the socket again, so the
    server's frames pile up in the kernel and then in the server's write buffer.
    """

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buffer = bytearray()
        self._loop = asyncio.get_running_loop()

    @classmethod
    async def connect(cls, url: str, rcvbuf: int) -> StalledClient:
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # Before connect(): the receive window is negotiated from it.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        client = cls(sock)
        await asyncio.wait_for(client._loop.sock_connect(sock, (host, port)), unit(5))
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET / HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        await client._loop.sock_sendall(sock, request.encode())
        head = await client._read_until(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101"), head
        return client

    async def _fill(self) -> None:
        data = await asyncio.wait_for(self._loop.sock_recv(self._sock, 65536), unit(5))
        if not data:
            raise ConnectionClosed(None)
        self._buffer += data

    async def _read_until(self, marker: bytes) -> bytes:
        for _ in range(1000):
            end = self._buffer.find(marker)
            if end >= 0:
                head = bytes(self._buffer[: end + len(marker)])
                del self._buffer[: end + len(marker)]
                return head
            await self._fill()
        raise AssertionError("no end of handshake")

    async def _read_exactly(self, n: int) -> bytes:
        for _ in range(10_000):
            if len(self._buffer) >= n:
                data = bytes(self._buffer[:n])
                del self._buffer[:n]
                return data
            await self._fill()
        raise AssertionError("frame never completed")

    async def send_json(self, value: Any) -> None:
        payload = json.dumps(value).encode()
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            header = struct.pack("!BB", 0x81, 0x80 | n)
        elif n < 65536:
            header = struct.pack("!BBH", 0x81, 0x80 | 126, n)
        else:
            header = struct.pack("!BBQ", 0x81, 0x80 | 127, n)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        await self._loop.sock_sendall(self._sock, header + mask + masked)

    async def recv_json(self) -> dict[str, Any]:
        """Read one text frame (the server sends unfragmented, unmasked frames)."""
        first, second = await self._read_exactly(2)
        opcode, n = first & 0x0F, second & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", await self._read_exactly(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", await self._read_exactly(8))
        payload = await self._read_exactly(n)
        assert opcode == 0x1, (opcode, payload[:100])
        frame: dict[str, Any] = json.loads(payload)
        return frame

    async def request(self, value: dict[str, Any]) -> dict[str, Any]:
        await self.send_json(value)
        for _ in range(100):
            frame = await self.recv_json()
            if frame.get("id") == value["id"]:
                return frame
        raise AssertionError(f"no answer to {value['op']}")

    def close(self) -> None:
        self._sock.close()


def _kernel_send_buffer_max() -> int:
    """The most the kernel may buffer on the server's side of one TCP socket."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, ValueError, IndexError):
        return 4 * 1024 * 1024  # Linux's usual default maximum


async def test_member_that_never_reads_is_cut_and_the_others_keep_receiving(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """A member that stops reading is disconnected once its server-side buffer passes
    ``max_write_buffer_bytes``; two members that read get every message, in order.

    How much must be sent before the cut depends on the kernel, not on the server: the
    server's writes first fill the slow client's receive buffer (SO_RCVBUF, set small here
    before connecting, so the advertised window stays small) and the server socket's send
    buffer (autotuned by Linux up to the third value of ``net.ipv4.tcp_wmem``, often 4 MB; on
    loopback it commonly settles near 2.5-3 MB); only then does asyncio's transport buffer
    grow, and the cut happens when it crosses the 64 KB configured here. Messages of 30 KB
    make that about a hundred messages (a few MB); the sender goes on until the cut, then 20
    more, at most 2,000 messages in all. The bytes sent before the cut are asserted to be
    within those kernel buffers plus the limit, and the slow member's user-space buffer is
    sampled after every message: it never held more than the limit plus one frame.
    """
    limit = 64 * 1024
    # Up to ~160 messages in well under 3 s: above the default budget of 180 / 3 s (spec
    # §5.4) at worst, so both sides get a bigger one; the budget is not under test here.
    server = await start_server(max_write_buffer_bytes=limit, message_rate_calls=10_000)
    loop = asyncio.get_running_loop()
    first = make_client(server)
    await first.login("reader1")
    first_channel = first.create_channel("room")
    first_events = Recorder(first_channel, "ChannelMessage")  # type: ignore[arg-type]
    await first_channel.join()
    # The slow member joins between the two readers: the fan-out writes to it mid-loop.
    rcvbuf = 4096
    slow = await StalledClient.connect(server.url, rcvbuf)
    try:
        login = {"op": "login", "id": 1, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": "slow"}
        assert (await slow.request(login))["t"] == "reply"
        assert await slow.request({"op": "join", "id": 2, "channel": "room"}) == {
            "t": "reply",
            "id": 2,
        }
        # From here on, nobody reads the slow member's socket.
        second = make_client(server)
        await second.login("reader2")
        second_channel = second.create_channel("room")
        second_events = Recorder(second_channel, "ChannelMessage")  # type: ignore[arg-type]
        await second_channel.join()
        sender = make_client(server, message_rate_calls=10_000)
        await sender.login("sender")
        channel = sender.create_channel("room")
        await channel.join()
        slow_session = server.node.hub.user(APP_ID, "slow")
        assert slow_session is not None
        slow_transport = slow_session.transport._ws.underlying_transport  # type: ignore[attr-defined]

        filler = "x" * (30 * 1024 - 6)
        sent: list[str] = []
        cut_after: int | None = None
        most_buffered = 0
        deadline = loop.time() + unit(30)
        for n in range(2000):
            if loop.time() > deadline:
                break
            text = f"{n:05d}:{filler}"
            await channel.send_message(text)
            sent.append(text)
            if cut_after is None:
                if server.node.hub.user(APP_ID, "slow") is None:
                    cut_after = n + 1
                else:
                    most_buffered = max(most_buffered, slow_transport.get_write_buffer_size())
            elif n + 1 >= cut_after + 20:
                break
        assert cut_after is not None, f"slow member not cut after {len(sent)} messages"
        frame_bytes = len(sent[0]) + 200
        assert most_buffered <= limit + frame_bytes
        kernel = _kernel_send_buffer_max() + 4 * rcvbuf
        assert cut_after * frame_bytes <= kernel + limit + 2 * frame_bytes, cut_after
        # The slow member's session is gone, from the hub, the channel and presence.
        await until(lambda: all(s.uid != "slow" for s in server.node.hub.connections))
        local = server.node.hub.channel(APP_ID, "room")
        assert local is not None
        assert sorted(local.members) == ["reader1", "reader2", "sender"]
        assert sorted(await channel.get_members()) == ["reader1", "reader2", "sender"]
        # The readers got every message, in order, the ones after the cut included.
        await until(lambda: len(channel_texts(first_events)) >= len(sent), unit(10))
        await until(lambda: len(channel_texts(second_events)) >= len(sent), unit(10))
        assert channel_texts(first_events) == sent
        assert channel_texts(second_events) == sent
        assert first.connection_state == second.connection_state == "CONNECTED"
        assert sender.connection_state == "CONNECTED"
    finally:
        slow.close()


async def test_sender_is_not_harmed_when_a_member_is_cut(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    """The message whose write cut the slow member is answered, and the sender stays."""
    server = await start_server(max_write_buffer_bytes=64 * 1024, message_rate_calls=10_000)
    slow = await StalledClient.connect(server.url, 4096)
    try:
        login = {"op": "login", "id": 1, "v": PROTOCOL_VERSION, "app_id": APP_ID, "uid": "slow"}
        assert (await slow.request(login))["t"] == "reply"
        assert (await slow.request({"op": "join", "id": 2, "channel": "room"}))["t"] == "reply"
        sender = make_client(server, request_timeout=unit(3), message_rate_calls=10_000)
        await sender.login("sender")
        channel = sender.create_channel("room")
        await channel.join()
        filler = "y" * 30_000
        for _ in range(1000):
            if server.node.hub.user(APP_ID, "slow") is None:
                break
            await channel.send_message(filler)  # raises if the server never answers
        assert server.node.hub.user(APP_ID, "slow") is None
        assert sender.connection_state == "CONNECTED"
        await channel.send_message("still here")
        assert await channel.get_members() == ["sender"]
    except openrtm.RtmError as exc:
        pytest.fail(f"the sender's request failed: {exc!r}")
    finally:
        slow.close()
