"""The browser SDK's reconnection (protocol §3.2, §5; spec §3.2) in a real Chromium.

The page reaches the server through a real TCP proxy (tests/proxy.py): dropping the proxy's
connections loses the page's link, and refusing new ones keeps it RECONNECTING as long as a
test needs. A Python SDK client, connected directly, is the peer. The page's code uses only
Agora's documented Web API; what it hears lands in ``window.states`` and ``window.heard``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page

from openrtm.protocol.tokens import build_token_007
from openrtm.server import Server, ServerConfig
from tests.conftest import APP_CERT, APP_ID, ClientFactory, Recorder, unit
from tests.proxy import TcpProxy


@pytest.fixture
async def proxy(server: Server) -> AsyncIterator[TcpProxy]:
    """A TCP proxy in front of the server's WebSocket endpoint."""
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def web_client(
    page: Page, http_url: str, ws_url: str, uid: str, token: str | None = None
) -> None:
    """Load the SDK, log in as ``uid`` at ``ws_url`` and join ``lobby`` (``window.channel``)."""
    await page.add_script_tag(url=http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, server, uid, token]) => {
            window.states = [];
            window.heard = [];
            window.client = AgoraRTM.createInstance(appId, { server });
            client.on("ConnectionStateChanged", (state, reason) => states.push([state, reason]));
            client.on("TokenExpired", () => heard.push(["TokenExpired"]));
            client.on("MessageFromPeer", (message, peerId) => heard.push(
                ["MessageFromPeer", message.text, peerId]));
            await client.login(token ? { uid, token } : { uid });
            window.channel = client.createChannel("lobby");
            channel.on("ChannelMessage", (message, memberId) => heard.push(
                ["ChannelMessage", message.text, memberId]));
            channel.on("MemberJoined", (memberId) => heard.push(["MemberJoined", memberId]));
            channel.on("MemberLeft", (memberId) => heard.push(["MemberLeft", memberId]));
            await channel.join();
        }""",
        [APP_ID, ws_url, uid, token],
    )


async def until_state(page: Page, state: str, reason: str) -> None:
    """Wait until the page's client's last move was to ``state`` for ``reason``."""
    await page.wait_for_function(
        "([s, r]) => JSON.stringify(states.at(-1)) === JSON.stringify([s, r])",
        arg=[state, reason],
        timeout=unit(10) * 1000,
    )


async def until_heard(page: Page, *event: Any) -> None:
    await page.wait_for_function(
        "(e) => heard.some((h) => JSON.stringify(h) === JSON.stringify(e))",
        arg=list(event),
        timeout=unit(10) * 1000,
    )


async def states(page: Page) -> list[list[str]]:
    result: list[list[str]] = await page.evaluate("states")
    return result


async def test_a_dropped_link_is_resumed_and_nothing_is_missed_or_repeated(
    page: Page, server: Server, proxy: TcpProxy, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    lobby = python.create_channel("lobby")
    members = Recorder(lobby, "MemberJoined", "MemberLeft")
    await lobby.join()
    await web_client(page, server.http_url, proxy.url, "web")
    assert await members.wait_for("MemberJoined") == ("web",)

    proxy.refuse()
    proxy.drop()
    await until_state(page, "RECONNECTING", "INTERRUPTED")
    # Sent while the page is away: the server keeps them for the resume (protocol §3.2).
    to_peer = asyncio.ensure_future(python.send_message_to_peer("while away", "web"))
    await lobby.send_message("channel while away")
    # The page's own messages wait for the link (spec §1.2) and go once it is back.
    await page.evaluate(
        """() => {
            window.sent = [];
            client.sendMessageToPeer({ text: "from the page" }, "py")
                .then((r) => sent.push(["peer", r.hasPeerReceived]), (e) => sent.push(e.code));
            channel.sendMessage({ text: "to the lobby" })
                .then(() => sent.push("channel"), (e) => sent.push(e.code));
        }"""
    )
    inbox = Recorder(python, "MessageFromPeer")
    channel_inbox = Recorder(lobby, "ChannelMessage")
    proxy.accept()

    await until_state(page, "CONNECTED", "LOGIN_SUCCESS")
    assert (await states(page))[-2:] == [
        ["RECONNECTING", "INTERRUPTED"],
        ["CONNECTED", "LOGIN_SUCCESS"],
    ]
    await until_heard(page, "MessageFromPeer", "while away", "py")
    await until_heard(page, "ChannelMessage", "channel while away", "py")
    message, peer, *_ = await inbox.wait_for("MessageFromPeer")
    assert (message.text, peer) == ("from the page", "web")
    message, member, *_ = await channel_inbox.wait_for("ChannelMessage")
    assert (message.text, member) == ("to the lobby", "web")
    await page.wait_for_function("sent.length === 2", timeout=unit(10) * 1000)
    assert sorted(map(str, await page.evaluate("sent"))) == ["['peer', True]", "channel"]
    await to_peer

    # One more of each after the resume: it comes once, and the earlier ones did not repeat.
    await python.send_message_to_peer("after", "web")
    await lobby.send_message("channel after")
    await until_heard(page, "MessageFromPeer", "after", "py")
    await until_heard(page, "ChannelMessage", "channel after", "py")
    heard: list[Any] = await page.evaluate("heard")
    expected = [
        ["MessageFromPeer", "while away", "py"],
        ["ChannelMessage", "channel while away", "py"],
        ["MessageFromPeer", "after", "py"],
        ["ChannelMessage", "channel after", "py"],
    ]
    assert sorted(map(str, heard)) == sorted(map(str, expected))
    # Spec §3.3: a resumed session never left its channels, so nobody heard it leave.
    assert [name for name, _ in members.events] == ["MemberJoined"]
    assert sorted(await lobby.get_members()) == ["py", "web"]


async def test_a_silent_link_is_noticed_by_the_keepalive_and_resumed(
    page: Page, server: Server, proxy: TcpProxy, make_client: ClientFactory
) -> None:
    """A half-open link (no close, no data): the page's `ping` gets no answer (protocol §3.22),
    so it goes RECONNECTING about 4 s later and resumes on a new connection."""
    python = make_client(server)
    await python.login("py")
    await web_client(page, server.http_url, proxy.url, "web")
    await page.evaluate(
        """() => {
            window.frozenAt = Date.now();
            client.on("ConnectionStateChanged", (state) => {
                if (state === "RECONNECTING") window.noticedAfter = Date.now() - frozenAt;
            });
        }"""
    )
    proxy.freeze()  # the open connection goes silent both ways; new ones flow
    await page.wait_for_function("window.noticedAfter !== undefined", timeout=unit(10) * 1000)
    noticed = await page.evaluate("noticedAfter") / 1000
    assert 2 <= noticed <= 4 + 0.5 + unit(1)  # idle 2 s, then 2 s for the answer (unscaled)
    result = await python.send_message_to_peer("while silent", "web")
    await until_state(page, "CONNECTED", "LOGIN_SUCCESS")
    await until_heard(page, "MessageFromPeer", "while silent", "py")
    assert result.has_peer_received  # acknowledged once the page had resumed
    # Resumed, not a new session: the channel never lost its member.
    assert await python.get_channel_member_count(["lobby"]) == {"lobby": 1}


async def test_a_server_restart_makes_a_new_session_that_rejoins_its_channels(
    page: Page, make_client: ClientFactory, tmp_path: Path
) -> None:
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / "a"))
    await first.start()
    port = first.gateway.port
    await web_client(page, first.http_url, first.url, "web")
    await first.stop()
    await until_state(page, "RECONNECTING", "INTERRUPTED")
    # http_port=0: the default, port + 1, may be anyone's free port by now.
    second = Server(ServerConfig(host="127.0.0.1", port=port, http_port=0, data_dir=tmp_path / "a"))
    await second.start()
    try:
        await until_state(page, "CONNECTED", "LOGIN_SUCCESS")
        python = make_client(second)
        await python.login("py")
        lobby = python.create_channel("lobby")
        await lobby.join()
        # The new session joined `lobby` again before going CONNECTED (protocol §3.2).
        assert sorted(await lobby.get_members()) == ["py", "web"]
        await until_heard(page, "MemberJoined", "py")
        await lobby.send_message("hello again")
        await until_heard(page, "ChannelMessage", "hello again", "py")
        # No MemberJoined for the page's own user.
        assert ["MemberJoined", "web"] not in await page.evaluate("heard")
        await page.evaluate("client.logout()")
    finally:
        await second.stop()


async def test_logout_while_reconnecting_stops_the_reconnection(
    page: Page, server: Server, proxy: TcpProxy
) -> None:
    await web_client(page, server.http_url, proxy.url, "web")
    proxy.refuse()
    proxy.drop()
    await until_state(page, "RECONNECTING", "INTERRUPTED")
    await page.evaluate("client.logout()")
    assert (await states(page))[-2:] == [
        ["RECONNECTING", "INTERRUPTED"],
        ["DISCONNECTED", "LOGOUT"],
    ]
    code = await page.evaluate(
        "client.sendMessageToPeer({ text: 'x' }, 'py').then(() => 0, (e) => e.code)"
    )
    assert code == 102  # spec §4.4: not logged in
    proxy.accept()
    # A new login works, and nothing of the stopped reconnection comes in between.
    await page.evaluate(
        """async () => {
            for (;;) {  // spec §1.2: logins at most twice a second (code 10 until then)
                try {
                    return await client.login({ uid: "web" });
                } catch (error) {
                    if (error.code !== 10) throw error;
                    await new Promise((resolve) => setTimeout(resolve, 100));
                }
            }
        }"""
    )
    assert (await states(page))[-4:] == [
        ["RECONNECTING", "INTERRUPTED"],
        ["DISCONNECTED", "LOGOUT"],
        ["CONNECTING", "LOGIN"],
        ["CONNECTED", "LOGIN_SUCCESS"],
    ]
    # The channel was left with the session (protocol §3.8): sending to it says so.
    code = await page.evaluate("channel.sendMessage({ text: 'x' }).then(() => 0, (e) => e.code)")
    assert code == 5  # spec §4.7: not in the channel
    await page.evaluate("client.logout()")


async def test_messages_sent_while_reconnecting_too_long_time_out_with_code_2(
    page: Page, server: Server, proxy: TcpProxy
) -> None:
    await web_client(page, server.http_url, proxy.url, "web")
    proxy.refuse()
    proxy.drop()
    await until_state(page, "RECONNECTING", "INTERRUPTED")
    # Spec §1.2, §4.4, §4.7: they wait the request timeout (10 s, not scaled: the SDK's own).
    codes = await page.evaluate(
        """() => Promise.all([
            client.sendMessageToPeer({ text: "x" }, "py").then(() => 0, (e) => e.code),
            channel.sendMessage({ text: "x" }).then(() => 0, (e) => e.code),
        ])"""
    )
    assert codes == [2, 2]
    assert await page.evaluate("client.connectionState") == "RECONNECTING"
    proxy.accept()
    await until_state(page, "CONNECTED", "LOGIN_SUCCESS")
    await page.evaluate("client.logout()")


async def test_a_token_the_restarted_server_refuses_aborts_the_reconnection(
    page: Page, tmp_path: Path
) -> None:
    from openrtm.server import AppSpec

    first = Server(
        ServerConfig(
            host="127.0.0.1", port=0, data_dir=tmp_path / "a", apps=(AppSpec(APP_ID, APP_CERT),)
        )
    )
    await first.start()
    port = first.gateway.port
    token = build_token_007(APP_ID, APP_CERT, "web", 3600, issue_ts=int(time.time()))
    await web_client(page, first.http_url, first.url, "web", token)
    await first.stop()
    await until_state(page, "RECONNECTING", "INTERRUPTED")
    # The App's certificate changed across the restart: the page's token is now invalid.
    second = Server(
        ServerConfig(
            host="127.0.0.1",
            port=port,
            http_port=0,
            data_dir=tmp_path / "a",
            apps=(AppSpec(APP_ID, "0" * 32),),
        )
    )
    await second.start()
    try:
        # Protocol §3.1 code 5: final, so the SDK stops retrying.
        await until_state(page, "ABORTED", "LOGIN_FAILURE")
        assert (
            await page.evaluate("channel.sendMessage({ text: 'x' }).then(() => 0, (e) => e.code)")
            == 102
        )
        assert second.node.hub.user(APP_ID, "web") is None
    finally:
        await second.stop()
