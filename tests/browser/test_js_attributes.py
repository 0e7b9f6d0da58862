"""The browser SDK's user and channel attributes (spec §1.2, §1.7, §4.12) in Chromium.

A real server and a Python SDK peer that reads what the page writes and writes what the page
reads; the page's code uses only Agora's documented Web API.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Page

from openrtm.server import Server, ServerConfig
from tests.conftest import APP_ID, ClientFactory, Recorder, unit


async def web_client(page: Page, http_url: str, uid: str, server: str | None = None) -> None:
    """Load the SDK from ``http_url``, log in as ``uid`` and join ``room`` (``window.room``)."""
    await page.add_script_tag(url=http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, server, uid]) => {
            window.heard = [];
            window.client = AgoraRTM.createInstance(appId, server ? { server } : {});
            await client.login({ uid });
            window.room = client.createChannel("room");
            room.on("AttributesUpdated", (attrs) => heard.push(["AttributesUpdated", attrs]));
            await room.join();
        }""",
        [APP_ID, server, uid],
    )


async def code_of(page: Page, call: str) -> Any:
    """The error ``[code, name]`` the promise of ``call`` rejects with, or ``"ok"``."""
    return await page.evaluate(f"({call}).then(() => 'ok', (e) => [e.code, e.name])")


async def test_user_attributes_both_ways(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    await web_client(page, server.http_url, "web")
    await page.evaluate("client.setLocalUserAttributes({ mood: 'happy', lang: 'en' })")
    assert await python.get_user_attributes("web") == {"mood": "happy", "lang": "en"}
    await page.evaluate("client.addOrUpdateLocalUserAttributes({ mood: 'sad', city: 'Oslo' })")
    assert await python.get_user_attributes_by_keys("web", ["mood", "nope"]) == {"mood": "sad"}
    await page.evaluate("client.deleteLocalUserAttributesByKeys(['lang', 'nope'])")
    assert await python.get_user_attributes("web") == {"mood": "sad", "city": "Oslo"}
    await page.evaluate("client.clearLocalUserAttributes()")
    assert await python.get_user_attributes("web") == {}

    await python.set_local_user_attributes({"a": "1", "b": "2"})
    assert await page.evaluate("client.getUserAttributes('py')") == {"a": "1", "b": "2"}
    assert await page.evaluate("client.getUserAttributesByKeys('py', ['b', 'z'])") == {"b": "2"}
    assert await page.evaluate("client.getUserAttributes('web')") == {}
    # Protocol §3.17: a user who is not logged in is code 6.
    assert await code_of(page, "client.getUserAttributes('nobody')") == [
        6,
        "RtmInvalidStatusError",
    ]


async def test_channel_attributes_both_ways_with_notifications(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    room = python.create_channel("room")
    events = Recorder(room, "AttributesUpdated")
    await room.join()
    await web_client(page, server.http_url, "web")

    notify = "{ enableNotificationToChannelMembers: true }"
    await page.evaluate(f"client.setChannelAttributes('room', {{ topic: 'launch' }}, {notify})")
    (attrs,) = await events.wait_for("AttributesUpdated")
    assert {k: (a.value, a.last_update_user_id) for k, a in attrs.items()} == {
        "topic": ("launch", "web")
    }
    got = await python.get_channel_attributes("room")
    assert got["topic"].value == "launch"
    assert got["topic"].last_update_user_id == "web"
    seen = await page.evaluate("client.getChannelAttributes('room')")
    assert seen == {
        "topic": {
            "value": "launch",
            "lastUpdateUserId": "web",
            "lastUpdateTs": got["topic"].last_update_ts,
        }
    }
    # The page is a member too: it heard its own notified write (protocol §3.18).
    await page.wait_for_function("heard.length === 1", timeout=unit(5) * 1000)

    # Without the option nobody is told.
    await page.evaluate("client.addOrUpdateChannelAttributes('room', { owner: 'web' })")
    await python.add_or_update_channel_attributes(
        "room", {"owner": "py"}, {"enableNotificationToChannelMembers": True}
    )
    (attrs,) = await events.wait_for("AttributesUpdated")
    assert sorted(attrs) == ["owner", "topic"]
    await page.wait_for_function("heard.length === 2", timeout=unit(5) * 1000)
    last = await page.evaluate("heard[1][1]")
    assert {k: (v["value"], v["lastUpdateUserId"]) for k, v in last.items()} == {
        "owner": ("py", "py"),
        "topic": ("launch", "web"),
    }
    by_keys = await page.evaluate("client.getChannelAttributesByKeys('room', ['owner', 'x'])")
    assert list(by_keys) == ["owner"]
    assert by_keys["owner"]["lastUpdateUserId"] == "py"

    await page.evaluate(f"client.deleteChannelAttributesByKeys('room', ['owner'], {notify})")
    (attrs,) = await events.wait_for("AttributesUpdated")
    assert sorted(attrs) == ["topic"]
    await page.evaluate(f"client.clearChannelAttributes('room', {notify})")
    assert await events.wait_for("AttributesUpdated") == ({},)
    assert await python.get_channel_attributes("room") == {}
    # No membership is needed to write or read (protocol §3.18).
    await page.evaluate("client.setChannelAttributes('elsewhere', { k: 'v' })")
    assert (await python.get_channel_attributes("elsewhere"))["k"].value == "v"


async def test_attribute_errors_are_refused_before_sending(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(f"window.fresh = AgoraRTM.createInstance('{APP_ID}')")
    for call in (
        "fresh.setLocalUserAttributes({ a: '1' })",
        "fresh.clearLocalUserAttributes()",
        "fresh.getUserAttributes('a')",
        "fresh.setChannelAttributes('c', { a: '1' })",
        "fresh.getChannelAttributes('c')",
    ):
        assert await code_of(page, call) == [102, "RtmInvalidStatusError"], call
    await web_client(page, server.http_url, "web")
    bad, over = [3, "RtmInvalidArgumentError"], [4, "RtmLimitExceededError"]
    many = "Object.fromEntries(Array.from({ length: 33 }, (_, i) => ['k' + i, 'v']))"
    big = "Object.fromEntries(Array.from({ length: 3 }, (_, i) => ['k' + i, 'x'.repeat(6000)]))"
    cases = [
        ("client.setLocalUserAttributes({})", bad),
        ("client.setLocalUserAttributes({ ['k'.repeat(33)]: 'v' })", bad),
        ("client.setLocalUserAttributes({ k: '' })", bad),
        ("client.setLocalUserAttributes({ k: 42 })", bad),
        ("client.setLocalUserAttributes({ k: 'x'.repeat(8193) })", over),
        (f"client.setLocalUserAttributes({many})", over),
        (f"client.setLocalUserAttributes({big})", over),  # 18 KB > 16 KB for a user
        ("client.deleteLocalUserAttributesByKeys([])", bad),
        ("client.deleteLocalUserAttributesByKeys([''])", bad),
        ("client.getUserAttributes('bad/id')", bad),
        ("client.getUserAttributesByKeys('py', [])", bad),
        ("client.setChannelAttributes('bad/id', { a: '1' })", bad),
        ("client.setChannelAttributes('room', {})", bad),
        (f"client.setChannelAttributes('room', {many})", over),
        ("client.getChannelAttributesByKeys('room', ['k'.repeat(33)])", bad),
    ]
    for call, expected in cases:
        assert await code_of(page, call) == expected, call
    # A channel allows 32 KB; an update is checked on the merged result (spec §5.3).
    assert await code_of(page, f"client.setChannelAttributes('room', {big})") == "ok"
    full = "Object.fromEntries(Array.from({ length: 32 }, (_, i) => ['k' + i, 'v']))"
    assert await code_of(page, f"client.setLocalUserAttributes({full})") == "ok"
    assert await code_of(page, "client.addOrUpdateLocalUserAttributes({ k0: 'w' })") == "ok"
    assert await code_of(page, "client.addOrUpdateLocalUserAttributes({ k99: 'w' })") == over
    assert await code_of(page, "client.deleteLocalUserAttributesByKeys(['k0'])") == "ok"
    assert await code_of(page, "client.addOrUpdateLocalUserAttributes({ k99: 'w' })") == "ok"
    # Spec §5.4: 10 user-attribute writes in 5 s (the refused ones above did not count).
    for _ in range(6):
        assert await code_of(page, "client.clearLocalUserAttributes()") == "ok"
    assert await code_of(page, "client.clearLocalUserAttributes()") == [
        5,
        "RtmLimitExceededError",
    ]
    python = make_client(server)
    await python.login("py")
    assert await python.get_user_attributes("web") == {}


async def test_a_new_session_after_a_restart_writes_the_user_attributes_again(
    page: Page, make_client: ClientFactory, tmp_path: Path
) -> None:
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / "a"))
    await first.start()
    port = first.gateway.port
    await web_client(page, first.http_url, "web", first.url)
    await page.evaluate("client.setLocalUserAttributes({ mood: 'happy' })")
    await first.stop()
    await page.wait_for_function(
        "client.connectionState === 'RECONNECTING'", timeout=unit(10) * 1000
    )
    second = Server(ServerConfig(host="127.0.0.1", port=port, http_port=0, data_dir=tmp_path / "a"))
    await second.start()
    try:
        await page.wait_for_function(
            "client.connectionState === 'CONNECTED'", timeout=unit(15) * 1000
        )
        python = make_client(second)
        await python.login("py")
        # Written again before CONNECTED (protocol §3.17, §9).
        assert await python.get_user_attributes("web") == {"mood": "happy"}
        await page.evaluate("client.logout()")
    finally:
        await second.stop()
