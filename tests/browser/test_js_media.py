"""FILE and IMAGE messages in the browser SDK (spec §1.2, §1.6, §4.16, §5.2; protocol §10).

A real server, real Chromium and the real Python SDK: the page makes its objects itself (a PNG
drawn on a canvas, bytes in a Blob) and uses only Agora's documented Web API
(`createMediaMessageByUploading`, `downloadMedia`, `createMessage`, `MediaTransferHandler`
with an `AbortSignal`). Transfers that must last, stall or be cancelled go through a TCP
proxy in front of the HTTP face (tests/proxy.py), told to SDKs as the server's public URL.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import os
import struct
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

import openrtm
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
