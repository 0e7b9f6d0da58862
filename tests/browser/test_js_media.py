"""FILE and IMAGE messages in the browser SDK (spec §1.2, §1.6, §4.16, §5.2; protocol §10).

A real server, real Chromium and the real Python SDK: the page makes its objects itself (a PNG
drawn on a canvas, bytes in a Blob) and uses only Agora's documented Web API
(`createMediaMessageByUploading`, `downloadMedia`, `createMessage`, `MediaTransferHandler`
with an `AbortSignal`). Transfers that must last, stall or be cancelled go through a TCP
proxy in front of the HTTP face (tests/proxy.py), told to SDKs as the server's public URL.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import itertools
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from openrtm.server import Server, ServerConfig
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit, until
from tests.proxy import TcpProxy

MiB = 1024 * 1024

# The page's helpers: a PNG drawn on a canvas, a Blob's bytes, an error's code and name, and
# the messages heard (FILE/IMAGE with their thumbnail's bytes, ready for JSON).
PAGE_HELPERS = """
window.png = (width, height) => new Promise((resolve) => {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const g = canvas.getContext("2d");
    g.fillStyle = "#c33";
    g.fillRect(0, 0, width, height);
    g.fillStyle = "#3c3";
    g.fillRect(1, 1, Math.max(1, width >> 1), Math.max(1, height >> 1));
    canvas.toBlob(resolve, "image/png");
});
window.bytesOf = async (blob) => Array.from(new Uint8Array(await blob.arrayBuffer()));
window.failure = async (promise) => {
    try {
        await promise;
        return null;
    } catch (error) {
        return [error.code, error.name];
    }
};
window.shown = async (message) => {
    const { thumbnail, ...rest } = message;
    if (rest.rawMessage) rest.rawMessage = Array.from(rest.rawMessage);
    return {
        ...rest,
        thumbnail: thumbnail === undefined ? null : await bytesOf(thumbnail),
        thumbnailType: thumbnail === undefined ? null : thumbnail.type,
    };
};
window.heard = [];
window.received = [];
"""


async def web_client(page: Page, server: Server, uid: str, ws_url: str | None = None) -> None:
    """Load the SDK from ``server``, log in as ``uid`` (at ``ws_url`` when given)."""
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(PAGE_HELPERS)
    await page.evaluate(
        """async ([appId, uid, server]) => {
            window.client = AgoraRTM.createInstance(appId, server ? { server } : undefined);
            client.on("ConnectionStateChanged", (state) => heard.push(state));
            client.on("MessageFromPeer", (message, peerId) => {
                received.push(message);
                shown(message).then((m) => heard.push(["MessageFromPeer", m, peerId]));
            });
            await client.login({ uid });
        }""",
        [APP_ID, uid, ws_url],
    )


async def until_heard(page: Page, name: str, count: int = 1) -> list[Any]:
    """Wait until the page heard ``count`` events ``name``; return them all."""
    await page.wait_for_function(
        "([n, c]) => heard.filter((h) => h[0] === n).length >= c",
        arg=[name, count],
        timeout=unit(5) * 1000,
    )
    result: list[Any] = await page.evaluate("(n) => heard.filter((h) => h[0] === n)", name)
    return result


async def through_proxy(server: Server) -> TcpProxy:
    """A proxy in front of the HTTP face, told to SDKs as the server's public URL."""
    proxy = await TcpProxy(server.http.port).start()
    http = proxy.url.replace("ws://", "http://")
    server.node.config = dataclasses.replace(server.node.config, public_url=http)
    return proxy


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[TcpProxy]:
    proxy = await through_proxy(server)
    try:
        yield proxy
    finally:
        await proxy.close()


def sniffable() -> dict[str, tuple[bytes, str]]:
    """Objects of each type spec §1.2 sniffs, and one it does not: (bytes, Blob type)."""
    ihdr = struct.pack(">IIBBBBB", 6, 5, 8, 2, 0, 0, 0)
    return {
        "png": (
            b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(40),
            "image/png",
        ),
        "gif": (b"GIF89a" + struct.pack("<HH", 3, 2) + bytes(30), "image/gif"),
        "pdf": (b"%PDF-1.4\n" + os.urandom(3000), "application/pdf"),
        "jpeg": (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + os.urandom(100), "image/jpeg"),
        "zip": (b"PK\x03\x04" + os.urandom(200), "application/zip"),
        "bin": (b"\x00\x01openrtm" + os.urandom(50), ""),
    }


async def test_an_image_made_in_the_page_reaches_python_byte_for_byte(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    heard = Recorder(python, "MessageFromPeer")
    await python.login("py")
    await web_client(page, server, "web")
    sent = await page.evaluate(
        """async () => {
            const image = await png(40, 30);
            const thumbnail = await png(4, 3);
            const reports = [];
            const message = await client.createMediaMessageByUploading(image, {
                messageType: "IMAGE", fileName: "dot.png", description: "a dot",
                thumbnail, thumbnailWidth: 4, thumbnailHeight: 3,
            }, { onOperationProgress: (p) => reports.push(p) });
            const result = await client.sendMessageToPeer(message, "py");
            return {
                message: await shown(message), image: await bytesOf(image), reports,
                sameThumbnail: message.thumbnail === thumbnail, result,
            };
        }"""
    )
    message, image = sent["message"], bytes(sent["image"])
    assert sent["result"] == {"hasPeerReceived": True}
    # Spec §1.2: the width and height of a PNG are read from its header (protocol §10.3).
    assert {k: v for k, v in message.items() if k not in ("mediaId", "thumbnail")} == {
        "messageType": "IMAGE",
        "fileName": "dot.png",
        "description": "a dot",
        "size": len(image),
        "width": 40,
        "height": 30,
        "thumbnailWidth": 4,
        "thumbnailHeight": 3,
        "thumbnailType": "image/png",
    }
    assert sent["sameThumbnail"]
    assert sent["reports"][-1] == {"currentSize": len(image), "totalSize": len(image)}

    got, sender, _ = await heard.wait_for("MessageFromPeer")
    assert sender == "web"
    assert (got.message_type, got.media_id, got.file_name, got.size) == (
        "IMAGE",
        message["mediaId"],
        "dot.png",
        len(image),
    )
    assert (got.width, got.height, got.thumbnail_width, got.thumbnail_height) == (40, 30, 4, 3)
    assert got.thumbnail == bytes(message["thumbnail"])
    assert await python.download_media(got.media_id) == image


async def test_python_uploads_the_page_downloads_with_sniffed_types(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    await web_client(page, server, "web")
    objects = sniffable()
    thumb = objects["png"][0]
    for name, (data, _) in objects.items():
        message = await python.create_media_message_by_uploading(
            data,
            {
                "messageType": "IMAGE" if name == "png" else "FILE",
                "fileName": name + ".x",
                "description": name,
                "thumbnail": thumb if name == "png" else None,
            },
        )
        assert (await python.send_message_to_peer(message, "web")).has_peer_received
    events = await until_heard(page, "MessageFromPeer", len(objects))
    for (_, got, sender), (name, (data, mime)) in zip(events, objects.items(), strict=True):
        assert sender == "py"
        assert (got["fileName"], got["description"], got["size"]) == (name + ".x", name, len(data))
        if name == "png":
            assert got["messageType"] == "IMAGE"
            assert (got["width"], got["height"]) == (6, 5)
            assert (bytes(got["thumbnail"]), got["thumbnailType"]) == (thumb, "image/png")
        else:
            assert got["messageType"] == "FILE"
            assert (got["thumbnail"], "width" in got) == (None, False)
        download = await page.evaluate(
            """async (id) => {
                const blob = await client.downloadMedia(id);
                return [blob.type, await bytesOf(blob)];
            }""",
            got["mediaId"],
        )
        assert (download[0], bytes(download[1])) == (mime, data), name


async def test_create_message_forwarding_and_channel_messages(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    heard = Recorder(python, "MessageFromPeer")
    await python.login("py")
    await web_client(page, server, "web")
    thumb = sniffable()["png"][0]
    image = await python.create_media_message_by_uploading(
        sniffable()["gif"][0], {"messageType": "IMAGE", "fileName": "g.gif", "thumbnail": thumb}
    )
    await python.send_message_to_peer(image, "web")
    await until_heard(page, "MessageFromPeer")
    # The page sends back what it received, thumbnail Blob and all.
    assert await page.evaluate("client.sendMessageToPeer(received[0], 'py')") == {
        "hasPeerReceived": True
    }
    got, _, _ = await heard.wait_for("MessageFromPeer")
    assert got == image

    # Spec §1.2 (1.4.x): createMessage rebuilds a FILE/IMAGE message from a known media id.
    rebuilt = await page.evaluate(
        """async (mediaId) => {
            const text = { text: "hi" };
            return {
                file: await shown(client.createMessage({ mediaId, messageType: "FILE" })),
                image: await shown(client.createMessage({ mediaId, messageType: "IMAGE" })),
                identity: client.createMessage(text) === text,
            };
        }""",
        image.media_id,
    )
    assert rebuilt["identity"]
    base = {"mediaId": image.media_id, "fileName": "", "description": "", "size": 0}
    assert rebuilt["file"] == {
        **base,
        "messageType": "FILE",
        "thumbnail": None,
        "thumbnailType": None,
    }
    assert rebuilt["image"] == {
        **rebuilt["file"],
        "messageType": "IMAGE",
        "width": 0,
        "height": 0,
        "thumbnailWidth": 0,
        "thumbnailHeight": 0,
    }

    # In a channel, both ways; the page's message has a thumbnail Blob the SDK never saw.
    room = python.create_channel("room")
    in_room = Recorder(room, "ChannelMessage")  # type: ignore[arg-type]
    await room.join()
    await page.evaluate(
        """async (mediaId) => {
            window.room = client.createChannel("room");
            room.on("ChannelMessage", async (message, memberId) =>
                heard.push(["ChannelMessage", await shown(message), memberId]));
            await room.join();
            await room.sendMessage({
                messageType: "IMAGE", mediaId, fileName: "g.gif", size: 46, width: 3, height: 2,
                thumbnail: new Blob([new Uint8Array([1, 2, 3])]),
            });
        }""",
        image.media_id,
    )
    got, member, _ = await in_room.wait_for("ChannelMessage")
    assert member == "web"
    assert (got.message_type, got.media_id, got.file_name, got.size) == (
        "IMAGE",
        image.media_id,
        "g.gif",
        46,
    )
    assert (got.width, got.height, got.thumbnail) == (3, 2, b"\x01\x02\x03")
    file = python.create_message({"mediaId": image.media_id, "messageType": "FILE", "size": 9})
    file.description = "in the room"
    await room.send_message(file)
    [(_, shown, member)] = await until_heard(page, "ChannelMessage")
    assert member == "py"
    assert shown == {
        **base,
        "size": 9,
        "description": "in the room",
        "messageType": "FILE",
        "thumbnail": None,
        "thumbnailType": None,
    }

    # Invalid FILE/IMAGE messages: code 7 to a peer, 4 to a channel (spec §4.4, §4.7).
    refused = await page.evaluate(
        """async (mediaId) => {
            const bad = [
                { messageType: "FILE", mediaId: "short" },
                { messageType: "FILE" },
                { messageType: "IMAGE", mediaId, thumbnail: "not a Blob" },
                { messageType: "IMAGE", mediaId, width: -1 },
                { messageType: "FILE", mediaId, text: "and text" },
                { messageType: "FILE", mediaId, description: "d".repeat(32 * 1024 - 2),
                  thumbnail: new Blob(["abc"]) },
            ];
            const out = [];
            for (const m of bad) {
                out.push([await failure(client.sendMessageToPeer(m, "py")),
                          await failure(room.sendMessage(m))]);
            }
            return out;
        }""",
        image.media_id,
    )
    assert refused == [[[7, "RtmInvalidArgumentError"], [4, "RtmInvalidArgumentError"]]] * 6


async def test_progress_about_once_a_second_and_cancel_with_code_6(
    page: Page, server: Server, proxy: TcpProxy, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    size = 4 * MiB
    data = os.urandom(size)
    known = await python.create_media_message_by_uploading(data)
    await web_client(page, server, "web")
    # A slow link (64 KiB per 40 ms, about 1.6 MB/s): 4 MiB take about 2.5 s.
    proxy.throttle(0.04)
    reports = await page.evaluate(
        """async (mediaId) => {
            const reports = [];
            const start = performance.now();
            const blob = await client.downloadMedia(mediaId, {
                onOperationProgress: (p) => reports.push([performance.now() - start, p]),
            });
            window.downloaded = blob;
            return reports;
        }""",
        known.media_id,
    )
    # 4 MiB as a JSON list would take the test's time: as base64, a string, they do not.
    as_base64 = """() => new Promise((resolve) => {
        const reader = new FileReader();
        reader.onload = () => resolve(reader.result.split(",")[1]);
        reader.readAsDataURL(downloaded);
    })"""
    assert await page.evaluate(as_base64) == base64.b64encode(data).decode()
    assert reports[-1][1] == {"currentSize": size, "totalSize": size}
    assert [p for _, p in reports if 0 < p["currentSize"] < size], reports
    assert all(p["totalSize"] == size and p["currentSize"] > 0 for _, p in reports)
    sizes = [p["currentSize"] for _, p in reports]
    assert sizes == sorted(sizes)
    times = [t for t, _ in reports[:-1]]  # the last report comes at the end, whenever
    assert all(b - a >= 900 for a, b in itertools.pairwise(times)), reports

    # Cancelled under way, on the slow link: a download, then an upload, reject with 6
    # (spec §4.16). (The upload's CORS preflight, protocol §10.1, is made and cached first.)
    page_cancel = """async ([what, mediaId]) => {
        const controller = new AbortController();
        let resolveUnderWay;
        const underWay = new Promise((r) => { resolveUnderWay = r; });
        const handler = { cancelSignal: controller.signal, onOperationProgress: resolveUnderWay };
        const transfer = failure(what === "download"
            ? client.downloadMedia(mediaId, handler)
            : client.createMediaMessageByUploading(
                new Blob([new Uint8Array(16 * 1024 * 1024)]), {}, handler));
        const progress = await underWay;
        controller.abort();
        return [await transfer, progress.currentSize > 0];
    }"""

    async def cancelled(what: str) -> Any:
        return await asyncio.wait_for(page.evaluate(page_cancel, [what, known.media_id]), unit(10))

    assert await cancelled("download") == [[6, "RtmInvalidStatusError"], True]
    proxy.throttle(0)
    warm = await page.evaluate(
        "client.createMediaMessageByUploading(new Blob(['warm'])).then((m) => m.mediaId)"
    )
    bytes_in = server.node.media.bytes_in
    proxy.throttle(0.04)
    assert await cancelled("upload") == [[6, "RtmInvalidStatusError"], True]
    proxy.drop()  # the proxy forwards no more of what the browser had sent before the abort
    # The server got part of the body, then a body cut short, and keeps nothing of it
    # (protocol §10.3).
    await until(lambda: not server.node.media._transfers, timeout=unit(10))
    assert server.node.media.bytes_in > bytes_in
    files = [p.name for p in server.config.media_dir.rglob("*") if p.is_file()]
    assert sorted(files) == sorted([known.media_id, warm])
    proxy.throttle(0)

    # A signal aborted already: 6 before any I/O.
    assert (
        await page.evaluate(
            """async (mediaId) => {
            const signal = AbortSignal.abort();
            return [
                await failure(client.downloadMedia(mediaId, { cancelSignal: signal })),
                await failure(client.createMediaMessageByUploading(new Blob(["x"]), {},
                                                                   { cancelSignal: signal })),
            ];
        }""",
            known.media_id,
        )
        == [[6, "RtmInvalidStatusError"]] * 2
    )


async def test_every_code_the_page_can_get(
    page: Page, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(media_max_bytes=100)
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(PAGE_HELPERS)
    calls = """async () => {
        const one = new Blob(["x"]);
        return [
            await failure(client.createMediaMessageByUploading(one, { messageType: "FILE" })),
            await failure(client.downloadMedia("A".repeat(32))),
        ];
    }"""
    # Not logged in: before the first login (spec §4.16: 102).
    await page.evaluate(f"window.client = AgoraRTM.createInstance('{APP_ID}')")
    assert await page.evaluate(calls) == [[102, "RtmInvalidStatusError"]] * 2
    await page.evaluate("client.login({ uid: 'web' })")
    codes = await page.evaluate(
        """async () => {
            const upload = (blob, params, handler) =>
                failure(client.createMediaMessageByUploading(blob, params, handler));
            const download = (id, handler) => failure(client.downloadMedia(id, handler));
            const x = new Blob(["x"]);
            return {
                empty: await upload(new Blob([]), {}),
                notABlob: await upload(new Uint8Array([1]), {}),
                text: await upload(x, { messageType: "TEXT" }),
                fileName: await upload(x, { fileName: 5 }),
                thumbnail: await upload(x, { thumbnail: new Uint8Array([1]) }),
                width: await upload(x, { messageType: "IMAGE", width: 1.5 }),
                over32KB: await upload(x, { fileName: "f", description: "d".repeat(32 * 1024) }),
                handler: await upload(x, {}, { cancelSignal: "no" }),
                progress: await upload(x, {}, { onOperationProgress: 5 }),
                over30MB: await upload(new Blob([new Uint8Array(30 * 1024 * 1024 + 1)]), {}),
                overServerLimit: await upload(new Blob([new Uint8Array(101)]), {}),
                noId: await download(""),
                idType: await download(7),
                downloadHandler: await download("A".repeat(32), { cancelSignal: {} }),
                unknownId: await download("A".repeat(32)),
                notAnId: await download("no/such/thing"),
            };
        }"""
    )
    invalid = [2, "RtmInvalidArgumentError"]
    assert codes == {
        "empty": invalid,
        "notABlob": invalid,
        "text": invalid,
        "fileName": invalid,
        "thumbnail": invalid,
        "width": invalid,
        "over32KB": invalid,
        "handler": invalid,
        "progress": invalid,
        "over30MB": [4, "RtmLimitExceededError"],  # the SDK's own check (spec §5.2)
        "overServerLimit": [4, "RtmLimitExceededError"],  # the server's (protocol §10.2)
        "noId": invalid,
        "idType": invalid,
        "downloadHandler": invalid,
        "unknownId": [4, "RtmInvalidArgumentError"],
        "notAnId": [4, "RtmInvalidArgumentError"],
    }
    # Nothing reached the store: the SDK refused before any I/O, the server by Content-Length.
    assert server.node.media.bytes_in == 0
    # The server's limit itself is allowed.
    upload = "client.createMediaMessageByUploading(new Blob([new Uint8Array(100)]))"
    assert await page.evaluate(f"{upload}.then((m) => m.size)") == 100

    # Not logged in again after a logout.
    await page.evaluate("client.logout()")
    assert await page.evaluate(calls) == [[102, "RtmInvalidStatusError"]] * 2


async def test_a_tenth_concurrent_transfer_is_refused_with_code_5(
    page: Page, server: Server, proxy: TcpProxy, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    known = await python.create_media_message_by_uploading(b"known")
    await web_client(page, server, "web")
    proxy.pause()
    refused = await page.evaluate(
        """async (mediaId) => {
            window.transfers = [];
            for (let i = 0; i < 8; i++) {
                transfers.push(client.createMediaMessageByUploading(new Blob([String(i)])));
            }
            transfers.push(client.downloadMedia(mediaId));
            return [
                await failure(client.createMediaMessageByUploading(new Blob(["tenth"]))),
                await failure(client.downloadMedia(mediaId)),
            ];
        }""",
        known.media_id,
    )
    assert refused == [[5, "RtmLimitExceededError"]] * 2
    proxy.resume()
    done = await page.evaluate(
        """async () => {
            const results = await Promise.all(transfers);
            const last = results.pop();
            return [results.map((m) => m.size), await bytesOf(last),
                    (await client.createMediaMessageByUploading(new Blob(["now fine"]))).size];
        }"""
    )
    assert done == [[1] * 8, list(b"known"), 8]


async def test_an_upload_the_server_stops_waiting_for_is_code_3(
    page: Page, server: Server, proxy: TcpProxy
) -> None:
    await web_client(page, server, "web")
    # One upload at full speed first: the CORS preflight is cached (protocol §10.1) and the
    # connection is open.
    warm = await page.evaluate(
        "client.createMediaMessageByUploading(new Blob(['warm'])).then((m) => m.mediaId)"
    )
    # Then a link that passes one read every 0.5 s, and a server that waits 0.2 s for the
    # next byte of a body: it answers 408 (protocol §10.2) and the page gets code 3. (The
    # SDK's own timer, 120 s without progress, spec §4.17, is too long for a test.)
    server.node.config = dataclasses.replace(server.node.config, media_stall_timeout=0.2)
    proxy.throttle(0.5)
    upload = "client.createMediaMessageByUploading(new Blob([new Uint8Array(70000)]))"
    assert await page.evaluate(f"failure({upload})") == [3, "RtmTimeoutError"]
    # Nothing is kept of it (protocol §10.3).
    files = [p.name for p in server.config.media_dir.rglob("*") if p.is_file()]
    assert files == [warm]


async def test_a_new_session_after_a_server_restart_has_its_own_url_and_ticket(
    page: Page, make_client: ClientFactory, tmp_path: Path
) -> None:
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / "a"))
    await first.start()
    port, first_http_port = first.gateway.port, first.http.port
    await web_client(page, first, "web", first.url)
    before = await page.evaluate(
        "client.createMediaMessageByUploading(new Blob(['kept'])).then((m) => m.mediaId)"
    )
    await first.stop()
    await page.wait_for_function("heard.at(-1) === 'RECONNECTING'", timeout=unit(5) * 1000)
    # http_port=0: the HTTP face moves, and the new session's ticket is another one.
    second = Server(ServerConfig(host="127.0.0.1", port=port, http_port=0, data_dir=tmp_path / "a"))
    await second.start()
    try:
        await page.wait_for_function("heard.at(-1) === 'CONNECTED'", timeout=unit(10) * 1000)
        assert second.http.port != first_http_port
        after = await page.evaluate(
            """async (before) => {
                const message = await client.createMediaMessageByUploading(new Blob(["new"]));
                return [await bytesOf(await client.downloadMedia(before)),
                        await bytesOf(await client.downloadMedia(message.mediaId))];
            }""",
            before,
        )
        assert after == [list(b"kept"), list(b"new")]
        python = make_client(second)
        await python.login("py")
        assert await python.download_media(before) == b"kept"
    finally:
        await page.evaluate("client.logout()")
        await second.stop()
