"""The browser SDK in a real Chromium, loaded from the server, against the Python SDK.

Each page loads ``/sdk/agora-rtm-sdk.js`` (or the ES module) from the server's HTTP face with
no server named: the SDK finds the WebSocket URL next to its own script (``server.json``), as
Agora's sample code expects of an SDK loaded from the server. The pages' code is written only
against Agora's documented Web API (spec §1).
"""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import Any

import aiohttp
from playwright.async_api import Page

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, Recorder, unit


async def load_sdk(page: Page, server: Server) -> None:
    """Load the SDK with a <script> tag from the server, and keep what the page hears."""
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """() => {
            window.heard = [];
            window.states = [];
        }"""
    )


async def login(page: Page, uid: str) -> None:
    await page.evaluate(
        """async ([appId, uid]) => {
            const client = AgoraRTM.createInstance(appId);
            client.on("ConnectionStateChanged", (state, reason) => states.push([state, reason]));
            client.on("MessageFromPeer", (message, peerId, props) => heard.push(
                [message, peerId, props.isOfflineMessage, props.serverReceivedTs > 0]));
            await client.login({ uid });
            window.client = client;
        }""",
        [APP_ID, uid],
    )


async def heard(page: Page, count: int) -> list[Any]:
    await page.wait_for_function(f"heard.length >= {count}", timeout=unit(5) * 1000)
    result: list[Any] = await page.evaluate("heard")
    return result


async def test_the_sdk_files_are_served_with_cors(server: Server) -> None:
    async with aiohttp.ClientSession() as http:
        for name in ("agora-rtm-sdk.js", "agora-rtm-sdk.min.js", "agora-rtm-sdk.mjs"):
            async with http.get(server.http_url + "sdk/" + name) as response:
                assert response.status == 200
                assert response.headers["Access-Control-Allow-Origin"] == "*"
                assert response.content_type == "text/javascript"
                assert "AgoraRTM" in await response.text()
        async with http.get(server.http_url + "sdk/AgoraRTM.d.ts") as response:
            assert response.status == 200
            assert response.headers["Access-Control-Allow-Origin"] == "*"
            assert response.content_type == "application/typescript"
            assert "declare class RtmClient" in await response.text()
        async with http.get(server.http_url + "sdk/server.json") as response:
            assert await response.json() == {"websocket": server.url}
        async with http.get(server.http_url + "sdk/../openrtm.sqlite3") as response:
            assert response.status == 404


def test_the_minified_build_is_within_its_size_budget() -> None:
    # Issue #14: the minified build is at most 40 KB gzipped, with no runtime dependency.
    built = Path(openrtm.__file__).parent / "web" / "sdk" / "agora-rtm-sdk.min.js"
    data = built.read_bytes()
    assert len(gzip.compress(data, compresslevel=9)) <= 40 * 1024
    assert b"require(" not in data  # a self-contained IIFE: nothing to resolve at run time


async def test_peer_messages_both_ways_with_receipts(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    inbox = Recorder(python, "MessageFromPeer")
    await python.login("py")
    await load_sdk(page, server)
    await login(page, "web")
    assert await page.evaluate("[client.connectionState, states]") == [
        "CONNECTED",
        [["CONNECTING", "LOGIN"], ["CONNECTED", "LOGIN_SUCCESS"]],
    ]
    result = await python.send_message_to_peer("hello browser", "web")
    assert result.has_peer_received  # the page's SDK acknowledged it
    text = {"text": "hello browser", "messageType": "TEXT"}
    assert await heard(page, 1) == [[text, "py", False, True]]
    answer = await page.evaluate(
        """async () => [
            await client.sendMessageToPeer({ text: "hello python" }, "py"),
            await client.sendMessageToPeer({ text: "anyone?" }, "nobody"),
        ]"""
    )
    assert answer == [{"hasPeerReceived": True}, {"hasPeerReceived": False}]
    message, peer_id, _ = await inbox.wait_for("MessageFromPeer", timeout=unit(5))
    assert (message.text, peer_id) == ("hello python", "web")
    raw = await page.evaluate(
        """async () => (await client.sendMessageToPeer(
            { rawMessage: new Uint8Array([0, 1, 2, 255]), description: "bytes" }, "py"
        )).hasPeerReceived"""
    )
    assert raw is True
    message, _, _ = await inbox.wait_for("MessageFromPeer", timeout=unit(5))
    assert (message.raw_message, message.description) == (b"\x00\x01\x02\xff", "bytes")
    await python.send_message_to_peer(openrtm.RtmMessage(raw_message=b"\x07\x08"), "web")
    got = await heard(page, 2)
    assert got[1][0]["messageType"] == "RAW"
    assert await page.evaluate("Array.from(heard[1][0].rawMessage)") == [7, 8]
    await page.evaluate("client.logout()")
    assert await page.evaluate("client.connectionState") == "DISCONNECTED"


async def test_offline_messages_reach_the_browser_at_login(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    result = await python.send_message_to_peer(
        "while you were away", "web", {"enableOfflineMessaging": True}
    )
    assert not result.has_peer_received
    await load_sdk(page, server)
    await login(page, "web")
    assert await heard(page, 1) == [
        [{"text": "while you were away", "messageType": "TEXT"}, "py", True, True]
    ]


async def test_errors_are_the_web_sdks(page: Page, server: Server) -> None:
    await load_sdk(page, server)
    refused = await page.evaluate(
        """async (appId) => {
            const caught = [];
            try { AgoraRTM.createInstance("not an app id"); }
            catch (e) { caught.push([e.name, e.code]); }
            const client = AgoraRTM.createInstance(appId);
            try { await client.sendMessageToPeer({ text: "x" }, "py"); }
            catch (e) { caught.push([e.name, e.code]); }
            await client.login({ uid: "web" });
            try { await client.login({ uid: "web" }); }
            catch (e) { caught.push([e.name, e.code]); }
            try { await client.sendMessageToPeer({ text: "x".repeat(32769) }, "py"); }
            catch (e) { caught.push([e.name, e.code]); }
            await client.logout();
            return caught;
        }""",
        APP_ID,
    )
    assert refused == [
        ["RtmInvalidArgumentError", 1],  # CREATE_INSTANCE_ERR_INVALID_ARGUMENT (spec §4.15)
        ["RtmInvalidStatusError", 102],  # PEER_MESSAGE_ERR_USER_NOT_LOGGED_IN (spec §4.4)
        ["RtmInvalidStatusError", 8],  # LOGIN_ERR_ALREADY_LOGIN (spec §4.1)
        ["RtmInvalidArgumentError", 7],  # PEER_MESSAGE_ERR_INVALID_MESSAGE (spec §4.4)
    ]


async def test_a_remote_login_aborts_the_browser(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    await load_sdk(page, server)
    await login(page, "web")
    python = make_client(server)
    await python.login("web")  # the same user elsewhere (spec §6.11)
    await page.wait_for_function("client.connectionState === 'ABORTED'", timeout=unit(5) * 1000)
    assert (await page.evaluate("states"))[-1] == ["ABORTED", "REMOTE_LOGIN"]


async def test_the_es_module_exports_agora_rtm(page: Page, server: Server) -> None:
    await page.add_script_tag(
        type="module",
        content=f"""
            import AgoraRTM from "{server.http_url}sdk/agora-rtm-sdk.mjs";
            window.esm = [AgoraRTM.VERSION, typeof AgoraRTM.createInstance,
                          AgoraRTM.ConnectionState.CONNECTED, AgoraRTM.MessageType.TEXT];
        """,
    )
    await page.wait_for_function("window.esm !== undefined", timeout=unit(5) * 1000)
    assert await page.evaluate("esm") == ["1.5.1", "function", "CONNECTED", "TEXT"]


async def test_a_page_on_another_origin_transfers_media(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    # The page is about:blank, another origin than the server's HTTP face: its fetches with
    # a ticket are preflighted (CORS), as a web app's served from elsewhere would be.
    python = make_client(server)
    await python.login("py")
    message = await python.create_media_message_by_uploading(
        b"\x89PNG pretend", {"messageType": "FILE", "fileName": "a.bin"}
    )
    ticket = python.media_ticket
    got = await page.evaluate(
        """async ([base, id, ticket]) => {
            const auth = { Authorization: "Bearer " + ticket };
            const whole = await fetch(base + "media/" + id, { headers: auth });
            const part = await fetch(base + "media/" + id, {
                headers: { ...auth, Range: "bytes=1-3" } });
            const up = await fetch(base + "media", {
                method: "POST", headers: auth, body: new Uint8Array([1, 2, 3]) });
            return [whole.status, whole.headers.get("content-length"),
                    Array.from(new Uint8Array(await whole.arrayBuffer())).length,
                    part.status, part.headers.get("content-range"), await part.text(),
                    up.status, (await up.json()).size];
        }""",
        [server.http_url, message.media_id, ticket],
    )
    assert got == [200, "12", 12, 206, "bytes 1-3/12", "PNG", 200, 3]


async def test_a_preflight_allows_the_media_headers(server: Server) -> None:
    headers = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization, range",
    }
    async with (
        aiohttp.ClientSession() as http,
        http.options(server.http_url + "media/x", headers=headers) as response,
    ):
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
        allowed = response.headers["Access-Control-Allow-Headers"].lower()
        assert "authorization" in allowed
        assert "range" in allowed
