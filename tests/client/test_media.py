"""FILE and IMAGE messages through the SDK (spec §1.2, §1.6, §4.16, §5.2; design §4).

A real server, real SDK clients and real HTTP transfers; a TCP proxy in front of the HTTP
face slows or silences the link where a transfer must last, stall or be cancelled.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import struct
from pathlib import Path
from typing import Any

import pytest

import openrtm
from openrtm.server import Server
from tests.conftest import ClientFactory, Recorder, ServerFactory, unit, until
from tests.proxy import TcpProxy

MiB = 1024 * 1024


def png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4) + bytes(50)


def gif(width: int, height: int) -> bytes:
    return b"GIF89a" + struct.pack("<HH", width, height) + bytes(50)


def bmp(width: int, height: int) -> bytes:
    # BITMAPFILEHEADER (14 bytes), then a BITMAPINFOHEADER; a negative height is top-down.
    return b"BM" + bytes(12) + struct.pack("<IiiHH", 40, width, -height, 1, 24) + bytes(50)


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0\x00\x11\x08" + struct.pack(">HH", height, width) + b"\x03" + bytes(9)
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


async def logged_in(server: Server, make_client: ClientFactory, uid: str, **config: Any) -> Any:
    client = make_client(server, **config)
    await client.login(uid)
    return client


async def through_proxy(server: Server) -> TcpProxy:
    """A proxy in front of the HTTP face, told to SDKs as its public URL."""
    proxy = await TcpProxy(server.http.port).start()
    http = proxy.url.replace("ws://", "http://")
    # What an operator's reverse proxy would be configured as: the URL clients are told.
    server.node.config = dataclasses.replace(server.node.config, public_url=http)
    return proxy


@pytest.mark.parametrize("size", [1, MiB, 30 * MiB])
async def test_bytes_round_trip(server: Server, make_client: ClientFactory, size: int) -> None:
    alice = await logged_in(server, make_client, "alice")
    data = os.urandom(size)
    message = await alice.create_media_message_by_uploading(
        data, {"messageType": "FILE", "fileName": "blob.bin", "description": "random"}
    )
    assert isinstance(message, openrtm.RtmMessage)
    assert (message.message_type, message.size, message.file_name) == ("FILE", size, "blob.bin")
    assert (message.description, message.thumbnail, message.width) == ("random", None, 0)
    assert await alice.download_media(message.media_id) == data


async def test_a_file_path_round_trips_to_a_file(
    server: Server, make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await logged_in(server, make_client, "alice")
    tmp_path = tmp_path / "files"
    tmp_path.mkdir()
    source = tmp_path / "report.pdf"
    source.write_bytes(b"%PDF-1.4\n" + os.urandom(3 * MiB))
    params = openrtm.MediaMessageParams(file_name="report.pdf", thumbnail=bytearray(b"\x01\x02"))
    message = await alice.create_media_message_by_uploading(str(source), params)
    assert (message.size, message.thumbnail) == (source.stat().st_size, b"\x01\x02")
    target = tmp_path / "copy.pdf"
    await alice.download_media_to_file(message.media_id, target)
    assert target.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.pdf", "report.pdf"]


@pytest.mark.parametrize(
    ("make", "width", "height"), [(png, 640, 480), (jpeg, 13, 11), (gif, 5, 7), (bmp, 9, 4)]
)
async def test_image_sizes_are_read_from_the_bytes(
    server: Server, make_client: ClientFactory, make: Any, width: int, height: int
) -> None:
    alice = await logged_in(server, make_client, "alice")
    message = await alice.create_media_message_by_uploading(
        make(width, height),
        {"messageType": "IMAGE", "fileName": "pic", "thumbnailWidth": 2, "thumbnailHeight": 1},
    )
    assert (message.message_type, message.width, message.height) == ("IMAGE", width, height)
    assert (message.thumbnail_width, message.thumbnail_height) == (2, 1)
    given = await alice.create_media_message_by_uploading(
        make(width, height), {"messageType": "IMAGE", "width": 1, "height": 2}
    )
    assert (given.width, given.height) == (1, 2)  # what the app says wins


async def test_a_file_message_reaches_a_peer_and_a_channel(
    server: Server, make_client: ClientFactory
) -> None:
    alice = await logged_in(server, make_client, "alice")
    bob = await logged_in(server, make_client, "bob")
    heard = Recorder(bob, "MessageFromPeer")
    image = await alice.create_media_message_by_uploading(
        png(3, 2), {"messageType": "IMAGE", "fileName": "a.png", "thumbnail": b"tiny"}
    )
    result = await alice.send_message_to_peer(image, "bob")
    assert result.has_peer_received
    got, sender, _ = await heard.wait_for("MessageFromPeer")
    assert sender == "alice"
    assert got == image
    assert await bob.download_media(got.media_id) == png(3, 2)

    rooms = [client.create_channel("room") for client in (alice, bob)]
    for room in rooms:
        await room.join()
    in_room = Recorder(rooms[1], "ChannelMessage")  # type: ignore[arg-type]
    file = alice.create_message(
        {"mediaId": image.media_id, "messageType": "FILE", "fileName": "a.png", "size": 57}
    )
    await rooms[0].send_message(file)
    got, member, _ = await in_room.wait_for("ChannelMessage")
    assert member == "alice"
    assert (got.message_type, got.media_id, got.file_name, got.size) == (
        "FILE",
        image.media_id,
        "a.png",
        57,
    )
    assert got.width == 0  # a FILE has no image sizes


async def test_a_file_message_is_delivered_offline_after_a_restart(
    start_server: ServerFactory, make_client: ClientFactory, tmp_path: Path
) -> None:
    data_dir = tmp_path / "kept"
    server = await start_server(data_dir=data_dir)
    alice = await logged_in(server, make_client, "alice")
    message = await alice.create_media_message_by_uploading(
        b"for later", {"messageType": "FILE", "fileName": "later.txt"}
    )
    result = await alice.send_message_to_peer(message, "bob", {"enableOfflineMessaging": True})
    assert not result.has_peer_received
    await server.stop()
    again = await start_server(data_dir=data_dir)
    bob = make_client(again)
    heard = Recorder(bob, "MessageFromPeer")
    await bob.login("bob")
    got, sender, props = await heard.wait_for("MessageFromPeer")
    assert (got, sender, props.is_offline_message) == (message, "alice", True)
    assert await bob.download_media(got.media_id) == b"for later"


async def test_bad_arguments_are_code_2_and_oversize_code_4_before_any_io(
    server: Server, make_client: ClientFactory, tmp_path: Path
) -> None:
    alice = await logged_in(server, make_client, "alice")
    before = server.node.media.bytes_in
    cases: list[tuple[Any, Any, int]] = [
        (b"", None, 2),
        (tmp_path / "missing", None, 2),
        (12, None, 2),
        (b"x", {"messageType": "TEXT"}, 2),
        (b"x", {"fileName": 5}, 2),
        (b"x", {"thumbnail": "not bytes"}, 2),
        (b"x", {"messageType": "IMAGE", "width": -1}, 2),
        (b"x", {"description": "d" * 32 * 1024, "fileName": "f"}, 2),
        (b"x", "params", 2),
        (bytes(30 * MiB + 1), None, 4),
    ]
    for data, params, code in cases:
        with pytest.raises(openrtm.RtmError) as caught:
            await alice.create_media_message_by_uploading(data, params)
        assert caught.value.code == code, (params, caught.value)
    assert server.node.media.bytes_in == before
    with pytest.raises(openrtm.RtmError) as caught:
        await alice.download_media("")
    assert caught.value.code == 2
    with pytest.raises(openrtm.RtmError) as caught:
        await alice.download_media("x", {"cancelSignal": "not an event"})
    assert caught.value.code == 2


async def test_the_servers_limit_and_unknown_ids_reach_the_app(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_max_bytes=100)
    alice = await logged_in(server, make_client, "alice")
    with pytest.raises(openrtm.RtmLimitExceededError) as caught:
        await alice.create_media_message_by_uploading(bytes(101))
    assert (caught.value.code, caught.value.operation) == (4, "UploadMediaError")
    for media_id in ("A" * 32, "no/such/thing"):
        with pytest.raises(openrtm.RtmInvalidArgumentError) as caught:
            await alice.download_media(media_id)
        assert (caught.value.code, caught.value.operation) == (4, "DownloadMediaError")


async def test_another_apps_user_cannot_download(
    server: Server, make_client: ClientFactory
) -> None:
    from tests.conftest import OTHER_APP_ID

    alice = await logged_in(server, make_client, "alice")
    eve = make_client(server, app_id=OTHER_APP_ID)
    await eve.login("alice")
    message = await alice.create_media_message_by_uploading(b"mine")
    with pytest.raises(openrtm.RtmError) as caught:
        await eve.download_media(message.media_id)
    assert caught.value.code == 4


async def test_an_expired_media_id_does_not_exist(
    start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_retention=unit(0.3))
    alice = await logged_in(server, make_client, "alice")
    message = await alice.create_media_message_by_uploading(b"brief")
    assert await alice.download_media(message.media_id) == b"brief"

    async def expired() -> int | None:
        try:
            await alice.download_media(message.media_id)
        except openrtm.RtmError as exc:
            return exc.code
        return None

    await until(expired)
    assert await expired() == 4


async def test_not_logged_in_is_102(server: Server, make_client: ClientFactory) -> None:
    client = make_client(server)
    for call in (
        client.create_media_message_by_uploading(b"x"),
        client.download_media("A" * 32),
        client.download_media_to_file("A" * 32, "/nonexistent/never-written"),
    ):
        with pytest.raises(openrtm.RtmInvalidStatusError) as caught:
            await call
        assert caught.value.code == 102


async def test_progress_is_reported_about_once_a_second(
    server: Server, make_client: ClientFactory
) -> None:
    proxy = await through_proxy(server)
    try:
        alice = await logged_in(server, make_client, "alice")
        loop = asyncio.get_running_loop()
        reports: list[tuple[float, openrtm.MediaOperationProgress]] = []
        size = 4 * MiB

        def progress(p: openrtm.MediaOperationProgress) -> None:
            reports.append((loop.time(), p))

        message = await alice.create_media_message_by_uploading(
            os.urandom(size), handler={"onOperationProgress": progress}
        )
        # An upload counts what the socket took; loopback buffers take megabytes at once,
        # so only the last report is certain here.
        assert reports[-1][1] == openrtm.MediaOperationProgress(size, size)
        assert all(p.total_size == size and p.current_size > 0 for _, p in reports)

        # A download counts what arrived: through a slow link, reports come while under way.
        proxy.throttle(0.04)  # 64 KiB per 40 ms: about 1.6 MB/s, so 4 MiB take ~2.5 s
        reports.clear()
        handler = openrtm.MediaTransferHandler(on_operation_progress=progress)
        assert len(await alice.download_media(message.media_id, handler)) == size
        assert reports[-1][1] == openrtm.MediaOperationProgress(size, size)
        assert [p for _, p in reports if 0 < p.current_size < size], reports
        assert all(p.total_size == size for _, p in reports)
        sizes = [p.current_size for _, p in reports]
        assert sizes == sorted(sizes)
        times = [t for t, _ in reports[:-1]]  # the last one comes at the end, whenever
        assert all(b - a >= 0.9 for a, b in itertools.pairwise(times))
    finally:
        await proxy.close()


async def test_the_cancel_signal_stops_a_transfer_with_code_6(
    server: Server, make_client: ClientFactory
) -> None:
    proxy = await through_proxy(server)
    try:
        alice = await logged_in(server, make_client, "alice")
        message = await alice.create_media_message_by_uploading(os.urandom(4 * MiB))
        proxy.throttle(0.04)
        cancel, under_way = asyncio.Event(), asyncio.Event()
        handler = {"cancelSignal": cancel, "onOperationProgress": lambda p: under_way.set()}
        download = asyncio.create_task(alice.download_media(message.media_id, handler))
        await asyncio.wait_for(under_way.wait(), unit(10))
        cancel.set()
        with pytest.raises(openrtm.RtmError) as caught:
            await asyncio.wait_for(download, unit(2))
        assert (caught.value.code, caught.value.operation) == (6, "DownloadMediaError")

        # An upload of 30 MB cancelled a second in: the server gets a body cut short and
        # keeps nothing of it.
        cancel, under_way = asyncio.Event(), asyncio.Event()
        handler = {"cancelSignal": cancel, "onOperationProgress": lambda p: under_way.set()}
        upload = asyncio.create_task(
            alice.create_media_message_by_uploading(os.urandom(30 * MiB), None, handler)
        )
        await asyncio.wait_for(under_way.wait(), unit(10))
        cancel.set()
        with pytest.raises(openrtm.RtmError) as caught:
            await asyncio.wait_for(upload, unit(2))
        assert (caught.value.code, caught.value.operation) == (6, "UploadMediaError")
        await until(lambda: not server.node.media._transfers, timeout=unit(10))
        assert [p.name for p in server.config.media_dir.rglob("*") if p.is_file()] == [
            message.media_id
        ]
        assert alice._media._active == 0  # the slots are given back
    finally:
        await proxy.close()


async def test_cancelling_the_task_stops_the_transfer(
    server: Server, make_client: ClientFactory
) -> None:
    proxy = await through_proxy(server)
    try:
        proxy.throttle(0.04)
        alice = await logged_in(server, make_client, "alice")
        under_way = asyncio.Event()
        upload = asyncio.create_task(
            alice.create_media_message_by_uploading(
                os.urandom(8 * MiB), None, {"onOperationProgress": lambda p: under_way.set()}
            )
        )
        await asyncio.wait_for(under_way.wait(), unit(10))
        upload.cancel()
        with pytest.raises(asyncio.CancelledError):
            await upload
        await until(lambda: not server.node.media._transfers)
        assert alice._media._active == 0
    finally:
        await proxy.close()


async def test_a_stalled_transfer_fails_with_code_3(
    server: Server, make_client: ClientFactory
) -> None:
    proxy = await through_proxy(server)
    try:
        alice = await logged_in(server, make_client, "alice", media_stall_timeout=unit(0.5))
        message = await alice.create_media_message_by_uploading(b"x" * 1000)
        proxy.pause()  # the link goes silent: nothing moves
        with pytest.raises(openrtm.RtmTimeoutError) as caught:
            await asyncio.wait_for(alice.create_media_message_by_uploading(b"y" * 1000), unit(5))
        assert (caught.value.code, caught.value.operation) == (3, "UploadMediaError")
        with pytest.raises(openrtm.RtmTimeoutError) as caught:
            await asyncio.wait_for(alice.download_media(message.media_id), unit(5))
        assert (caught.value.code, caught.value.operation) == (3, "DownloadMediaError")
    finally:
        await proxy.close()


async def test_a_tenth_concurrent_transfer_is_refused_with_code_5(
    server: Server, make_client: ClientFactory
) -> None:
    proxy = await through_proxy(server)
    try:
        alice = await logged_in(server, make_client, "alice")
        message = await alice.create_media_message_by_uploading(b"known")
        proxy.pause()
        transfers = [
            asyncio.create_task(alice.create_media_message_by_uploading(b"%d" % i))
            for i in range(8)
        ]
        transfers.append(asyncio.create_task(alice.download_media(message.media_id)))
        await until(lambda: alice._media._active == 9)
        with pytest.raises(openrtm.RtmLimitExceededError) as caught:
            await alice.create_media_message_by_uploading(b"tenth")
        assert (caught.value.code, caught.value.operation) == (5, "UploadMediaError")
        with pytest.raises(openrtm.RtmLimitExceededError) as caught:
            await alice.download_media(message.media_id)
        assert (caught.value.code, caught.value.operation) == (5, "DownloadMediaError")
        proxy.resume()
        results = await asyncio.gather(*transfers)
        assert [m.size for m in results[:8]] == [1] * 8
        assert results[8] == b"known"
        assert (await alice.create_media_message_by_uploading(b"now fine")).size == 8
    finally:
        await proxy.close()
