"""The browser SDK's token renewal and presence (spec §1.2, §4.3, §4.9–§4.11) in Chromium.

A real server and a Python SDK peer; the page's code uses only Agora's documented Web API.
What the page hears lands in ``window.heard`` as ``[event, ...arguments]`` lists.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from playwright.async_api import Page

from openrtm.protocol.tokens import build_token_007
from openrtm.server import AppSpec, Server, ServerConfig
from tests.conftest import APP_CERT, APP_ID, ClientFactory, ServerFactory, unit
from tests.proxy import TcpProxy

EVENTS = (
    "ConnectionStateChanged",
    "TokenExpired",
    "TokenPrivilegeWillExpire",
    "PeersOnlineStatusChanged",
)


def token(uid: str, seconds: int, issued: int | None = None) -> str:
    """A real AccessToken2 for ``uid`` valid ``seconds`` (whole seconds: they do not scale)."""
    return build_token_007(APP_ID, APP_CERT, uid, seconds, issue_ts=issued or int(time.time()))


async def web_client(
    page: Page, http_url: str, uid: str, server: str | None = None, tok: str | None = None
) -> None:
    """Load the SDK from ``http_url`` and log in as ``uid`` (through ``server`` if given)."""
    await page.add_script_tag(url=http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, server, uid, token, events]) => {
            window.heard = [];
            window.client = AgoraRTM.createInstance(appId, server ? { server } : {});
            for (const name of events) client.on(name, (...args) => heard.push([name, ...args]));
            await client.login(token ? { uid, token } : { uid });
        }""",
        [APP_ID, server, uid, tok, list(EVENTS)],
    )


async def until_heard(page: Page, *event: Any) -> None:
    """Wait until the page has heard exactly ``event``."""
    await page.wait_for_function(
        "(e) => heard.some((h) => JSON.stringify(h) === JSON.stringify(e))",
        arg=list(event),
        timeout=unit(10) * 1000,
    )


async def code_of(page: Page, call: str) -> Any:
    """The error code ``call`` (an expression giving a promise) rejects with, or ``"ok"``."""
    return await page.evaluate(f"({call}).then(() => 'ok', (e) => [e.code, e.name])")


# --- renewToken (spec §1.2, §4.3; protocol §3.19) ------------------------------------------


async def test_renew_token_moves_the_deadline_and_its_errors(
    page: Page, start_server: ServerFactory
) -> None:
    secure = await start_server(apps=(AppSpec(APP_ID, APP_CERT),))
    await page.add_script_tag(url=secure.http_url + "sdk/agora-rtm-sdk.js")
    assert await code_of(
        page, f"AgoraRTM.createInstance('{APP_ID}', {{ server: '{secure.url}' }}).renewToken('x')"
    ) == [102, "RtmInvalidStatusError"]
    # Less than token_warning (30 s) left: the warning comes at once (protocol §3.19).
    issued = int(time.time())
    await web_client(page, secure.http_url, "web", secure.url, token("web", 8, issued))
    await until_heard(page, "TokenPrivilegeWillExpire")
    assert await code_of(page, "client.renewToken('')") == [2, "RtmInvalidArgumentError"]
    assert await code_of(page, "client.renewToken(42)") == [2, "RtmInvalidArgumentError"]
    for _ in range(2):
        assert await code_of(page, "client.renewToken('007garbage')") == [
            6,
            "RtmUnauthenticatedError",
        ]
    # Two calls counted in this second (refused by the token check, after the limit's:
    # protocol §3.20); the invalid arguments above did not count. The third is 4.
    assert await code_of(page, f"client.renewToken('{token('web', 3600)}')") == [
        4,
        "RtmInvokeTooOftenError",
    ]
    await page.wait_for_timeout(1100)  # the 1 s window of spec §5.4 must pass; it does not scale
    old = token("web", 1, issued=int(time.time()) - 10)
    assert await code_of(page, f"client.renewToken('{old}')") == [5, "RtmUnauthenticatedError"]
    assert await code_of(page, f"client.renewToken('{token('web', 3600)}')") == "ok"
    # Past the first token's deadline (whole seconds, unscaled): the session goes on.
    await asyncio.sleep(max(0.0, issued + 8.5 - time.time()))
    assert await page.evaluate("client.connectionState") == "CONNECTED"
    assert await page.evaluate("heard.filter((h) => h[0] === 'TokenExpired')") == []


async def test_an_expired_token_while_reconnecting_waits_for_renew_token(
    page: Page, start_server: ServerFactory
) -> None:
    secure = await start_server(apps=(AppSpec(APP_ID, APP_CERT),))
    proxy = await TcpProxy(secure.gateway.port).start()
    try:
        await web_client(page, secure.http_url, "web", proxy.url, token("web", 2))
        proxy.refuse()
        proxy.drop()
        await until_heard(page, "ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
        await asyncio.sleep(2.2)  # let the token lapse while the link is down
        proxy.accept()
        # Spec §3.2: TokenExpired, once, and the state stays RECONNECTING.
        await until_heard(page, "TokenExpired")
        assert await page.evaluate("client.connectionState") == "RECONNECTING"
        assert await code_of(page, f"client.renewToken('{token('web', 3600)}')") == "ok"
        await page.wait_for_function(
            "JSON.stringify(heard.filter((h) => h[0] === 'ConnectionStateChanged').at(-1))"
            " === JSON.stringify(['ConnectionStateChanged', 'CONNECTED', 'LOGIN_SUCCESS'])",
            timeout=unit(15) * 1000,
        )
        told = await page.evaluate("heard.filter((h) => h[0] === 'TokenExpired').length")
        assert told == 1
        moves = await page.evaluate("heard.filter((h) => h[0] === 'ConnectionStateChanged')")
        assert [m[1] for m in moves] == ["CONNECTING", "CONNECTED", "RECONNECTING", "CONNECTED"]
        assert await page.evaluate("client.connectionState") == "CONNECTED"
    finally:
        await proxy.close()


# --- presence (spec §1.2, §4.9–§4.11, §4.13; protocol §3.13–§3.16) ---------------------------


def changes(page: Page) -> Any:
    return page.evaluate("heard.filter((h) => h[0] === 'PeersOnlineStatusChanged')")


async def test_query_online_and_member_counts(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    await python.create_channel("lobby").join()
    await web_client(page, server.http_url, "web")
    online = await page.evaluate("client.queryPeersOnlineStatus(['py', 'nobody', 'web', 'py'])")
    assert online == {"py": True, "nobody": False, "web": True}
    counts = await page.evaluate("client.getChannelMemberCount(['lobby', 'empty'])")
    assert counts == {"lobby": 1, "empty": 0}
    # A query follows nobody (protocol §3.13).
    assert await page.evaluate("client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == []
    assert await page.evaluate("AgoraRTM.PeerOnlineState") == {
        "ONLINE": "ONLINE",
        "UNREACHABLE": "UNREACHABLE",
        "OFFLINE": "OFFLINE",
    }
    assert await page.evaluate("AgoraRTM.PeerSubscriptionOption") == {
        "ONLINE_STATUS": "ONLINE_STATUS"
    }


async def test_subscribe_hears_changes_and_unsubscribe_stops_them(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = make_client(server)
    await python.login("py")
    await web_client(page, server.http_url, "web")
    await page.evaluate("client.subscribePeersOnlineStatus(['py', 'carol', 'py'])")
    # Protocol §3.14: one snapshot of the peers this call added.
    await until_heard(page, "PeersOnlineStatusChanged", {"py": "ONLINE", "carol": "OFFLINE"})
    peers = await page.evaluate("client.queryPeersBySubscriptionOption('ONLINE_STATUS')")
    assert peers == ["carol", "py"]
    carol = make_client(server)
    await carol.login("carol")
    await until_heard(page, "PeersOnlineStatusChanged", {"carol": "ONLINE"})
    await python.logout()
    await until_heard(page, "PeersOnlineStatusChanged", {"py": "OFFLINE"})
    await page.evaluate("client.unsubscribePeersOnlineStatus(['py'])")
    assert await page.evaluate("client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == [
        "carol"
    ]
    await make_client(server).login("py")
    await carol.logout()
    await until_heard(page, "PeersOnlineStatusChanged", {"carol": "OFFLINE"})
    # py is no longer followed: its login was not reported.
    assert await changes(page) == [
        ["PeersOnlineStatusChanged", {"py": "ONLINE", "carol": "OFFLINE"}],
        ["PeersOnlineStatusChanged", {"carol": "ONLINE"}],
        ["PeersOnlineStatusChanged", {"py": "OFFLINE"}],
        ["PeersOnlineStatusChanged", {"carol": "OFFLINE"}],
    ]
    # Following ends with the session (spec §6.9).
    await page.evaluate("client.logout()")
    assert await code_of(page, "client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == [
        102,
        "RtmInvalidStatusError",
    ]


async def test_presence_errors_are_refused_before_sending(page: Page, server: Server) -> None:
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(f"window.fresh = AgoraRTM.createInstance('{APP_ID}')")
    for call in (
        "fresh.queryPeersOnlineStatus(['a'])",
        "fresh.subscribePeersOnlineStatus(['a'])",
        "fresh.unsubscribePeersOnlineStatus(['a'])",
        "fresh.queryPeersBySubscriptionOption('ONLINE_STATUS')",
        "fresh.getChannelMemberCount(['a'])",
    ):
        assert await code_of(page, call) == [102, "RtmInvalidStatusError"], call
    await web_client(page, server.http_url, "web")
    many = [f"u{i}" for i in range(513)]
    bad = "RtmInvalidArgumentError"
    over = "RtmLimitExceededError"
    cases = [
        ("client.queryPeersOnlineStatus([])", [2, bad]),
        (f"client.queryPeersOnlineStatus({many[:257]})", [2, bad]),
        ("client.queryPeersOnlineStatus(['null'])", [2, bad]),
        ("client.queryPeersOnlineStatus('py')", [2, bad]),
        ("client.subscribePeersOnlineStatus(['a b/c'])", [2, bad]),
        (f"client.subscribePeersOnlineStatus({many})", [6, over]),
        (f"client.unsubscribePeersOnlineStatus({many})", [6, over]),
        ("client.unsubscribePeersOnlineStatus([])", [2, bad]),
        ("client.queryPeersBySubscriptionOption('OTHER')", [2, "RtmTimeoutError"]),
        (f"client.getChannelMemberCount({many[:33]})", [5, over]),
        ("client.getChannelMemberCount([])", [2, bad]),
        ("client.getChannelMemberCount(['x'.repeat(65)])", [2, bad]),
    ]
    for call, expected in cases:
        assert await code_of(page, call) == expected, call
    # Spec §5.4: member counts once a second; 10 queries in 5 s.
    assert await code_of(page, "client.getChannelMemberCount(['a'])") == "ok"
    assert await code_of(page, "client.getChannelMemberCount(['a'])") == [3, over]
    for _ in range(10):
        assert await code_of(page, "client.queryPeersOnlineStatus(['a'])") == "ok"
    assert await code_of(page, "client.queryPeersOnlineStatus(['a'])") == [5, over]
    for i in range(10):
        assert await code_of(page, f"client.subscribePeersOnlineStatus(['p{i}'])") == "ok"
    assert await code_of(page, "client.unsubscribePeersOnlineStatus(['p0'])") == [5, over]
    for _ in range(10):
        assert await code_of(page, "client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == "ok"
    assert await code_of(page, "client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == [
        3,
        over,
    ]


async def test_a_new_session_after_a_restart_follows_the_same_peers(
    page: Page, make_client: ClientFactory, tmp_path: Path
) -> None:
    first = Server(ServerConfig(host="127.0.0.1", port=0, data_dir=tmp_path / "a"))
    await first.start()
    port = first.gateway.port
    await web_client(page, first.http_url, "web", first.url)
    await page.evaluate("client.subscribePeersOnlineStatus(['py'])")
    await until_heard(page, "PeersOnlineStatusChanged", {"py": "OFFLINE"})
    await first.stop()
    await until_heard(page, "ConnectionStateChanged", "RECONNECTING", "INTERRUPTED")
    second = Server(ServerConfig(host="127.0.0.1", port=port, http_port=0, data_dir=tmp_path / "a"))
    await second.start()
    try:
        await page.wait_for_function(
            "client.connectionState === 'CONNECTED'", timeout=unit(15) * 1000
        )
        # Followed again before CONNECTED (protocol §3.14): py's login is heard.
        python = make_client(second)
        await python.login("py")
        await until_heard(page, "PeersOnlineStatusChanged", {"py": "ONLINE"})
        assert await page.evaluate("client.queryPeersBySubscriptionOption('ONLINE_STATUS')") == [
            "py"
        ]
        await page.evaluate("client.logout()")
    finally:
        await second.stop()
