"""The browser SDK's channels (spec §1.4) in a real Chromium, against the Python SDK.

The page loads ``/sdk/agora-rtm-sdk.js`` from a real server and joins channels with Python SDK
clients; its code uses only Agora's documented Web API. Channel events reach ``window.heard``
as ``[event, ...arguments]`` lists.
"""

from __future__ import annotations

from typing import Any

from playwright.async_api import Browser, Page

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, Recorder, unit

EVENTS = ("ChannelMessage", "MemberJoined", "MemberLeft", "MemberCountUpdated", "AttributesUpdated")


async def web_client(page: Page, server: Server, uid: str) -> None:
    """Load the SDK from the server, log in as ``uid`` and make ``channel`` (``lobby``)."""
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, uid, events]) => {
            window.heard = [];
            window.client = AgoraRTM.createInstance(appId);
            await client.login({ uid });
            window.channel = client.createChannel("lobby");
            for (const name of events) {
                channel.on(name, (...args) => {
                    if (name === "ChannelMessage") {
                        const [message, memberId, props] = args;
                        const body = message.messageType === "RAW"
                            ? Array.from(message.rawMessage) : message.text;
                        heard.push([name, body, memberId, props.serverReceivedTs > 0]);
                    } else heard.push([name, ...args]);
                });
            }
        }""",
        [APP_ID, uid, list(EVENTS)],
    )


async def until_heard(page: Page, *event: Any) -> None:
    """Wait until the page has heard exactly ``event`` (a list as kept in ``heard``)."""
    await page.wait_for_function(
        "(e) => heard.some((h) => JSON.stringify(h) === JSON.stringify(e))",
        arg=list(event),
        timeout=unit(5) * 1000,
    )


async def heard(page: Page, name: str) -> list[Any]:
    result: list[Any] = await page.evaluate("(n) => heard.filter((h) => h[0] === n)", name)
    return result


async def test_join_members_and_messages_both_ways(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    lobby = python.create_channel("lobby")
    events = Recorder(lobby, "ChannelMessage", "MemberJoined", "MemberLeft")
    await lobby.join()

    await web_client(page, server, "web")
    assert await page.evaluate("channel.channelId") == "lobby"
    await page.evaluate("channel.join()")
    # Protocol §3.7: the joiner hears the count (itself included), the others MemberJoined.
    await until_heard(page, "MemberCountUpdated", 2)
    assert await events.wait_for("MemberJoined") == ("web",)
    assert sorted(await page.evaluate("channel.getMembers()")) == ["py", "web"]

    await lobby.send_message("hello browser")
    await until_heard(page, "ChannelMessage", "hello browser", "py", True)

    await page.evaluate("channel.sendMessage({ text: 'hello python' })")
    message, member_id, props = await events.wait_for("ChannelMessage")
    assert (message.text, member_id, props.server_received_ts > 0) == ("hello python", "web", True)
    await page.evaluate(
        "channel.sendMessage({ rawMessage: new Uint8Array([0, 1, 255]), description: 'b' })"
    )
    message, member_id, _ = await events.wait_for("ChannelMessage")
    assert (message.raw_message, message.description, member_id) == (b"\x00\x01\xff", "b", "web")
    await lobby.send_message(openrtm.RtmMessage(raw_message=b"\x07\x08"))
    await until_heard(page, "ChannelMessage", [7, 8], "py", True)
    # The server pushes a channel message to the others before it replies to the sender
    # (protocol §3.9), so an echo would have reached the page before sendMessage resolved.
    assert [h[2] for h in await heard(page, "ChannelMessage")] == ["py", "py"]

    # Spec §6.7: a write that asks to notify pushes the complete set to every member.
    options = openrtm.ChannelAttributeOptions(enable_notification_to_channel_members=True)
    await python.add_or_update_channel_attributes("lobby", {"topic": "launch"}, options)
    await page.wait_for_function(
        "heard.some((h) => h[0] === 'AttributesUpdated')", timeout=unit(5) * 1000
    )
    [[_, attributes]] = await heard(page, "AttributesUpdated")
    assert attributes["topic"]["value"] == "launch"
    assert attributes["topic"]["lastUpdateUserId"] == "py"
    assert attributes["topic"]["lastUpdateTs"] > 0

    # Another member comes and goes: the page hears both, and the counts follow.
    other = make_client(server)
    await other.login("py2")
    other_lobby = other.create_channel("lobby")
    await other_lobby.join()
    await until_heard(page, "MemberJoined", "py2")
    await until_heard(page, "MemberCountUpdated", 3)
    await other_lobby.leave()
    await until_heard(page, "MemberLeft", "py2")
    await page.wait_for_function(
        "heard.filter((h) => h[0] === 'MemberCountUpdated').at(-1)[1] === 2",
        timeout=unit(5) * 1000,
    )
    assert await heard(page, "MemberJoined") == [["MemberJoined", "py2"]]

    await page.evaluate("channel.leave()")
    await events.wait_for("MemberLeft", "web")
    assert await lobby.get_members() == ["py"]
    # Not a member any more: no pushes reach the page, and the calls say so (spec §4.7, §4.8).
    await lobby.send_message("after you left")
    await python.add_or_update_channel_attributes("lobby", {"topic": "gone"}, options)
    codes = await page.evaluate(
        """async () => {
            const codes = [];
            try { await channel.sendMessage({ text: "x" }); } catch (e) { codes.push(e.code); }
            try { await channel.getMembers(); } catch (e) { codes.push(e.code); }
            try { await channel.leave(); } catch (e) { codes.push(e.code); }
            return codes;
        }"""
    )
    assert codes == [5, 5, 3]
    # A round trip through the server: a push sent before it would have arrived by now.
    await page.evaluate("client.sendMessageToPeer({ text: 'still here' }, 'py')")
    assert len(await heard(page, "ChannelMessage")) == 2
    assert len(await heard(page, "AttributesUpdated")) == 1


async def test_logout_leaves_every_channel(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    lobby = python.create_channel("lobby")
    events = Recorder(lobby, "MemberJoined", "MemberLeft")
    await lobby.join()
    await web_client(page, server, "web")
    await page.evaluate("channel.join()")
    assert await events.wait_for("MemberJoined") == ("web",)
    await page.evaluate("client.logout()")
    assert await events.wait_for("MemberLeft") == ("web",)
    codes = await page.evaluate(
        """async () => {
            const codes = [];
            try { await channel.sendMessage({ text: "x" }); } catch (e) { codes.push(e.code); }
            try { await channel.getMembers(); } catch (e) { codes.push(e.code); }
            try { await channel.leave(); } catch (e) { codes.push(e.code); }
            try { await channel.join(); } catch (e) { codes.push(e.code); }
            return codes;
        }"""
    )
    assert codes == [102, 102, 102, 102]
    # Logged in again, the same object joins afresh: the logout left it (not 6, spec §4.5).
    await page.evaluate(
        """async () => {
            for (;;) {  // login() refuses a second call within 500 ms (spec §5.4): retry then
                try { await client.login({ uid: "web" }); break; }
                catch (e) { if (e.code !== 10) throw e; }
                await new Promise((resolve) => setTimeout(resolve, 100));
            }
            await channel.join();
        }"""
    )
    await events.wait_for("MemberJoined", "web")
    await until_heard(page, "MemberCountUpdated", 2)


async def test_a_remote_login_ends_the_channels_too(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    await web_client(page, server, "web")
    await page.evaluate("channel.join()")
    python = make_client(server)
    await python.login("web")  # the same user elsewhere: a kick (spec §6.11)
    await page.wait_for_function("client.connectionState === 'ABORTED'", timeout=unit(5) * 1000)
    code = await page.evaluate("channel.sendMessage({ text: 'x' }).then(() => 0, (e) => e.code)")
    assert code == 102
    lobby = python.create_channel("lobby")
    await lobby.join()
    assert await lobby.get_members() == ["web"]  # the new session only


async def test_channel_errors_are_the_web_sdks(page: Page, server: Server) -> None:
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    caught = await page.evaluate(
        """async (appId) => {
            const caught = [];
            const note = async (label, call) => {
                try { await call(); caught.push([label, "ok"]); }
                catch (e) { caught.push([label, e.name, e.code]); }
            };
            const client = AgoraRTM.createInstance(appId);
            await note("empty id", () => client.createChannel(""));
            await note("bad character", () => client.createChannel("a*b"));
            await note("65 characters", () => client.createChannel("x".repeat(65)));
            await note("the string null", () => client.createChannel("null"));
            const lobby = client.createChannel("lobby");
            await note("join logged out", () => lobby.join());
            await note("leave logged out", () => lobby.leave());
            await note("send logged out", () => lobby.sendMessage({ text: "x" }));
            await note("members logged out", () => lobby.getMembers());
            await client.login({ uid: "web" });
            await note("leave not joined", () => lobby.leave());
            await note("send not joined", () => lobby.sendMessage({ text: "x" }));
            await note("members not joined", () => lobby.getMembers());
            await note("join", () => lobby.join());
            await note("join again", () => lobby.join());
            await note("same id", () => client.createChannel("lobby").join());
            await note("too big", () => lobby.sendMessage({ text: "x".repeat(32769) }));
            await note("no text", () => lobby.sendMessage({ messageType: "TEXT" }));
            for (let i = 0; i < 5; i++) await lobby.getMembers();
            await note("6th getMembers", () => lobby.getMembers());
            await note("leave", () => lobby.leave());
            await note("2nd join", () => lobby.join());
            await lobby.leave();
            await note("3rd join in 5 s", () => lobby.join());
            // Spec §1.4: a leave() during join() makes the join fail with 201.
            const quick = client.createChannel("quick");
            const joining = quick.join();
            await note("leave while joining", () => quick.leave());
            await note("the join left", () => joining);
            // Spec §5.5: at most 20 channels joined (lobby is not, quick neither).
            const many = [];
            for (let i = 0; i < 20; i++) many.push(client.createChannel(`room-${i}`));
            await Promise.all(many.map((c) => c.join()));
            await note("21st channel", () => client.createChannel("room-20").join());
            await Promise.all(many.map((c) => c.leave()));
            return caught;
        }""",
        APP_ID,
    )
    invalid, status, limit = (
        "RtmInvalidArgumentError",
        "RtmInvalidStatusError",
        "RtmLimitExceededError",
    )
    assert caught == [
        ["empty id", invalid, 1],  # CREATE_CHANNEL_ERR_INVALID_ARGUMENT (spec §4.15)
        ["bad character", invalid, 1],
        ["65 characters", invalid, 1],
        ["the string null", invalid, 1],
        ["join logged out", status, 102],  # JOIN_CHANNEL_ERR_USER_NOT_LOGGED_IN (spec §4.5)
        ["leave logged out", status, 102],  # LEAVE_CHANNEL_ERR_USER_NOT_LOGGED_IN (spec §4.6)
        ["send logged out", status, 102],  # CHANNEL_MESSAGE_ERR_USER_NOT_LOGGED_IN (spec §4.7)
        ["members logged out", status, 102],  # GET_MEMBERS_ERR_USER_NOT_LOGGED_IN (spec §4.8)
        ["leave not joined", status, 3],  # LEAVE_CHANNEL_ERR_NOT_IN_CHANNEL
        ["send not joined", status, 5],  # CHANNEL_MESSAGE_ERR_NOT_IN_CHANNEL
        ["members not joined", status, 5],  # GET_MEMBERS_ERR_NOT_IN_CHANNEL
        ["join", "ok"],
        ["join again", status, 6],  # JOIN_CHANNEL_ERR_ALREADY_JOINED
        ["same id", status, 202],  # JOIN_CHANNEL_ERR_ALREADY_JOINED_CHANNEL_OF_SAME_ID
        ["too big", invalid, 4],  # CHANNEL_MESSAGE_ERR_INVALID_MESSAGE
        ["no text", invalid, 4],
        ["6th getMembers", limit, 4],  # GET_MEMBERS_ERR_TOO_OFTEN (5 in 2 s, spec §5.4)
        ["leave", "ok"],
        ["2nd join", "ok"],
        ["3rd join in 5 s", limit, 8],  # JOIN_CHANNEL_ERR_JOIN_SAME_CHANNEL_TOO_OFTEN
        ["leave while joining", "ok"],
        ["the join left", status, 201],  # JOIN_CHANNEL_ERR_ABORTED_BY_LEAVE
        ["21st channel", limit, 5],  # JOIN_CHANNEL_ERR_EXCEED_LIMIT (spec §5.5)
    ]


async def test_fifty_joins_in_three_seconds_are_the_most(page: Page, server: Server) -> None:
    await web_client(page, server, "web")
    codes = await page.evaluate(
        """async () => {
            // 25 channels joined twice each, every join undone by a leave() at once (so the
            // 20-channel limit never applies): 50 joins, all sent in the same instant.
            const joins = [];
            for (let i = 0; i < 25; i++) {
                const c = client.createChannel(`room-${i}`);
                for (let j = 0; j < 2; j++) {
                    joins.push(c.join());
                    await c.leave();
                }
            }
            const last = await channel.join().then(() => 0, (e) => [e.name, e.code]);
            const codes = (await Promise.allSettled(joins)).map((r) => r.reason?.code ?? 0);
            return [new Set(codes).size, codes[0], last];
        }"""
    )
    # Spec §5.4: the 51st join in 3 s is refused with 7 JOIN_CHANNEL_ERR_TOO_OFTEN.
    assert codes == [1, 201, ["RtmLimitExceededError", 7]]


async def test_two_pages_and_python_in_one_channel_and_peer_to_peer(
    browser: Browser, server: Server, make_client: ClientFactory
) -> None:
    """Two browser pages and a Python client together: the pages hear each other's channel
    messages, member events and counts, and send peer messages with receipts both ways."""
    python = make_client(server)
    await python.login("py")
    lobby = python.create_channel("lobby")
    events = Recorder(lobby, "ChannelMessage", "MemberJoined")
    await lobby.join()
    first, second = await browser.new_page(), await browser.new_page()
    for page, uid in ((first, "web1"), (second, "web2")):
        await web_client(page, server, uid)
        await page.evaluate(
            """() => client.on("MessageFromPeer",
                (message, peerId) => heard.push(["MessageFromPeer", message.text, peerId]))"""
        )
        await page.evaluate("channel.join()")
    await until_heard(first, "MemberJoined", "web2")
    await until_heard(first, "MemberCountUpdated", 3)
    await until_heard(second, "MemberCountUpdated", 3)
    assert await heard(second, "MemberJoined") == []  # it joined last: the count told it
    assert sorted(await second.evaluate("channel.getMembers()")) == ["py", "web1", "web2"]

    await first.evaluate("channel.sendMessage({ text: 'from web1' })")
    await until_heard(second, "ChannelMessage", "from web1", "web1", True)
    message, member_id, _ = await events.wait_for("ChannelMessage")
    assert (message.text, member_id) == ("from web1", "web1")

    receipt = await first.evaluate(
        "client.sendMessageToPeer({ text: 'hi web2' }, 'web2').then((r) => r.hasPeerReceived)"
    )
    assert receipt is True  # web2's SDK acknowledged it before the promise resolved
    await until_heard(second, "MessageFromPeer", "hi web2", "web1")
    receipt = await second.evaluate(
        "client.sendMessageToPeer({ text: 'hi web1' }, 'web1').then((r) => r.hasPeerReceived)"
    )
    assert receipt is True
    await until_heard(first, "MessageFromPeer", "hi web1", "web2")

    await second.evaluate("client.logout()")
    await until_heard(first, "MemberLeft", "web2")
    await first.wait_for_function(
        "heard.filter((h) => h[0] === 'MemberCountUpdated').at(-1)[1] === 2",
        timeout=unit(5) * 1000,
    )
    receipt = await first.evaluate(
        "client.sendMessageToPeer({ text: 'gone?' }, 'web2').then((r) => r.hasPeerReceived)"
    )
    assert receipt is False  # spec §6.1: an offline peer is not an error on the Web
