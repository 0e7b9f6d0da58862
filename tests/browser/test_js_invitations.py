"""The browser SDK's call invitations (spec §1.5, §4.14; protocol §3.21) in a real Chromium.

A real server, a Python SDK client and one or two pages. The pages' code uses only Agora's
documented Web API (``createLocalInvitation``, ``RemoteInvitationReceived``, the invitation
objects' members and events). What a page hears lands in ``window.heard`` as
``[label, event, ...arguments, state]`` lists, ``state`` being the invitation's state when the
event fired. The server's invitation timers are scaled down through its configuration.
"""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import Browser, Page

import openrtm
from openrtm.server import Server
from tests.conftest import APP_ID, ClientFactory, Recorder, ServerFactory, unit
from tests.proxy import TcpProxy
from tests.server.test_gateway_frames import RawClient

LOCAL_EVENTS = (
    "LocalInvitationReceivedByPeer",
    "LocalInvitationAccepted",
    "LocalInvitationRefused",
    "LocalInvitationCanceled",
    "LocalInvitationFailure",
)
REMOTE_EVENTS = (
    "RemoteInvitationAccepted",
    "RemoteInvitationRefused",
    "RemoteInvitationCanceled",
    "RemoteInvitationFailure",
)
# Scaled-down timers (the defaults are 30 s, 1 s, 60 s and 5 s; protocol §3.21).
FAST = {
    "invitation_receipt_timeout": unit(1.0),
    "invitation_retry_interval": unit(0.1),
    "invitation_expiry": unit(1.5),
    "invitation_accept_timeout": unit(0.5),
}


async def web_client(page: Page, server: Server, uid: str, ws_url: str | None = None) -> None:
    """Load the SDK with a <script> tag from ``server`` and log in as ``uid``.

    ``window.invite(label, calleeId, content, channelId)`` sends an invitation kept as
    ``window.calls[label]``; a received one is kept as ``window.calls["in<n>"]``.
    """
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """async ([appId, uid, server, localEvents, remoteEvents]) => {
            window.heard = [];
            window.calls = {};
            let received = 0;
            window.client = AgoraRTM.createInstance(appId, server ? { server } : {});
            const track = (label, invitation, events) => {
                calls[label] = invitation;
                for (const name of events) {
                    invitation.on(name, (...args) =>
                        heard.push([label, name, ...args, invitation.state]));
                }
            };
            client.on("RemoteInvitationReceived", (invitation) => {
                const label = "in" + ++received;
                track(label, invitation, remoteEvents);
                heard.push([label, "RemoteInvitationReceived", invitation.callerId,
                    invitation.content, invitation.channelId, invitation.state]);
            });
            window.invite = (label, calleeId, content, channelId) => {
                const invitation = client.createLocalInvitation(calleeId);
                if (content !== undefined) invitation.content = content;
                if (channelId !== undefined) invitation.channelId = channelId;
                track(label, invitation, localEvents);
                invitation.send();
                return invitation.state;
            };
            await client.login({ uid });
        }""",
        [APP_ID, uid, ws_url, list(LOCAL_EVENTS), list(REMOTE_EVENTS)],
    )


async def until_heard(page: Page, *entry: Any, timeout: float = 5) -> None:
    """Wait until the page has heard exactly ``entry``."""
    await page.wait_for_function(
        "(e) => heard.some((h) => JSON.stringify(h) === JSON.stringify(e))",
        arg=list(entry),
        timeout=unit(timeout) * 1000,
    )


async def heard_of(page: Page, label: str) -> list[Any]:
    """What the page heard about invitation ``label``, without the label."""
    heard: list[Any] = await page.evaluate(
        "(label) => heard.filter((h) => h[0] === label).map((h) => h.slice(1))", label
    )
    return heard


async def python_client(make_client: ClientFactory, server: Server, uid: str) -> openrtm.RtmClient:
    client = make_client(server)
    await client.login(uid)
    return client


def python_invite(
    caller: openrtm.RtmClient, callee_id: str, content: str = "", channel_id: str = ""
) -> tuple[openrtm.LocalInvitation, Recorder]:
    invitation = caller.create_local_invitation(callee_id)
    invitation.content = content
    invitation.channel_id = channel_id
    events = Recorder(invitation, *LOCAL_EVENTS)  # type: ignore[arg-type]
    invitation.send()
    return invitation, events


# --- browser → Python ----------------------------------------------------------------------------


async def test_browser_calls_python_accept_refuse_cancel(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = await python_client(make_client, server, "py")
    incoming = Recorder(python, "RemoteInvitationReceived")
    await web_client(page, server, "web")

    # Accepted: the page's SDK confirms the acceptance, so the Python side completes too.
    state = await page.evaluate("invite('a', 'py', 'video call?', 'room-7')")
    assert state == "SENT_TO_REMOTE"
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert (remote.caller_id, remote.content, remote.channel_id) == (
        "web",
        "video call?",
        "room-7",
    )
    await until_heard(page, "a", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    answered = Recorder(remote, *REMOTE_EVENTS)
    remote.response = "on my way"
    remote.accept()
    assert await answered.wait_for("RemoteInvitationAccepted") == ()
    await until_heard(page, "a", "LocalInvitationAccepted", "on my way", "ACCEPTED_BY_REMOTE")
    assert await page.evaluate("[calls.a.state, calls.a.response, calls.a.calleeId]") == [
        "ACCEPTED_BY_REMOTE",
        "on my way",
        "py",
    ]
    assert await heard_of(page, "a") == [
        ["LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE"],
        ["LocalInvitationAccepted", "on my way", "ACCEPTED_BY_REMOTE"],
    ]

    # Refused.
    await page.evaluate("invite('r', 'py', 'again?')")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    await until_heard(page, "r", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    remote.response = "busy"
    remote.refuse()
    await until_heard(page, "r", "LocalInvitationRefused", "busy", "REFUSED_BY_REMOTE")
    assert await page.evaluate("calls.r.response") == "busy"

    # Cancelled by the page once the callee has it.
    await page.evaluate("invite('c', 'py', 'never mind')")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    cancelled = Recorder(remote, *REMOTE_EVENTS)
    await until_heard(page, "c", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    await page.evaluate("calls.c.cancel()")
    await until_heard(page, "c", "LocalInvitationCanceled", "CANCELED")
    assert await cancelled.wait_for("RemoteInvitationCanceled") == ("never mind",)
    assert remote.state == "CANCELED"
    assert await heard_of(page, "c") == [
        ["LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE"],
        ["LocalInvitationCanceled", "CANCELED"],
    ]


# --- Python → browser ----------------------------------------------------------------------------


async def test_python_calls_browser_accept_refuse_cancel(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = await python_client(make_client, server, "py")
    await web_client(page, server, "web")

    # Accepted: complete on the page once the Python SDK confirmed it.
    invitation, events = python_invite(python, "web", "video call?", "room-7")
    await until_heard(
        page,
        "in1",
        "RemoteInvitationReceived",
        "py",
        "video call?",
        "room-7",
        "INVITATION_RECEIVED",
    )
    assert await events.wait_for("LocalInvitationReceivedByPeer") == ()
    state = await page.evaluate(
        "calls.in1.response = 'on my way'; calls.in1.accept(); calls.in1.state"
    )
    assert state == "ACCEPT_SENT_TO_LOCAL"
    assert await events.wait_for("LocalInvitationAccepted") == ("on my way",)
    await until_heard(page, "in1", "RemoteInvitationAccepted", "ACCEPTED")
    assert invitation.state == "ACCEPTED_BY_REMOTE"

    # Refused.
    invitation, events = python_invite(python, "web", "again?")
    await until_heard(
        page, "in2", "RemoteInvitationReceived", "py", "again?", "", "INVITATION_RECEIVED"
    )
    await page.evaluate("calls.in2.response = 'busy'; calls.in2.refuse()")
    await until_heard(page, "in2", "RemoteInvitationRefused", "REFUSED")
    assert await events.wait_for("LocalInvitationRefused") == ("busy",)

    # Cancelled by the caller: the page hears it with the invitation's content.
    invitation, events = python_invite(python, "web", "never mind")
    await until_heard(
        page, "in3", "RemoteInvitationReceived", "py", "never mind", "", "INVITATION_RECEIVED"
    )
    await events.wait_for("LocalInvitationReceivedByPeer")
    invitation.cancel()
    await events.wait_for("LocalInvitationCanceled")
    await until_heard(page, "in3", "RemoteInvitationCanceled", "never mind", "CANCELED")
    assert await heard_of(page, "in3") == [
        ["RemoteInvitationReceived", "py", "never mind", "", "INVITATION_RECEIVED"],
        ["RemoteInvitationCanceled", "never mind", "CANCELED"],
    ]


# --- the server's timers and sessions that end ----------------------------------------------------


async def test_expiry_both_ways(
    page: Page, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    python = await python_client(make_client, server, "py")
    incoming = Recorder(python, "RemoteInvitationReceived")
    await web_client(page, server, "web")
    # Both at once: received and acknowledged on both sides, then nobody answers.
    await page.evaluate("invite('out', 'py', 'hello?')")
    invitation, events = python_invite(python, "web", "anyone?")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    remote_events = Recorder(remote, *REMOTE_EVENTS)
    await events.wait_for("LocalInvitationReceivedByPeer")
    await until_heard(page, "out", "LocalInvitationFailure", "INVITATION_EXPIRE", "FAILURE")
    await until_heard(page, "in1", "RemoteInvitationFailure", "INVITATION_EXPIRE", "FAILURE")
    assert await events.wait_for("LocalInvitationFailure") == ("INVITATION_EXPIRE",)
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("INVITATION_EXPIRE",)
    assert await heard_of(page, "out") == [
        ["LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE"],
        ["LocalInvitationFailure", "INVITATION_EXPIRE", "FAILURE"],
    ]
    assert invitation.state == "FAILURE"


async def test_peer_offline_and_sessions_that_end(
    page: Page, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(**FAST)
    await web_client(page, server, "web")
    # Nobody logged in as the callee by the receipt deadline: PEER_OFFLINE. A callee logged
    # in whose SDK never acknowledges (a raw WebSocket client): PEER_NO_RESPONSE.
    mute = await RawClient.open(server.url)
    await mute.login("mute")
    await page.evaluate("invite('nobody', 'nobody'); invite('mute', 'mute', 'hello?')")
    push = await mute.recv()
    assert push == {"t": "call_invite", "from": "web", "call": push["call"], "content": "hello?"}
    await until_heard(page, "nobody", "LocalInvitationFailure", "PEER_OFFLINE", "FAILURE")
    await until_heard(page, "mute", "LocalInvitationFailure", "PEER_NO_RESPONSE", "FAILURE")
    assert await heard_of(page, "nobody") == [["LocalInvitationFailure", "PEER_OFFLINE", "FAILURE"]]
    assert await heard_of(page, "mute") == [
        ["LocalInvitationFailure", "PEER_NO_RESPONSE", "FAILURE"]
    ]
    await mute.close()

    # The caller goes offline: the page, its callee, hears PEER_OFFLINE.
    python = await python_client(make_client, server, "py")
    _, events = python_invite(python, "web", "brb")
    await until_heard(
        page, "in1", "RemoteInvitationReceived", "py", "brb", "", "INVITATION_RECEIVED"
    )
    await events.wait_for("LocalInvitationReceivedByPeer")
    await python.logout()
    assert await events.wait_for("LocalInvitationFailure") == ("NOT_LOGGEDIN",)
    await until_heard(page, "in1", "RemoteInvitationFailure", "PEER_OFFLINE", "FAILURE")
    code = await page.evaluate(
        "(() => { try { calls.in1.accept(); } catch (e) { return [e.code, e.name]; } })()"
    )
    assert code == [3, "RtmInvalidStatusError"]

    # The callee logs out: the page, its caller, hears PEER_OFFLINE. (A new client each time:
    # logging in again at once would be refused, spec §5.4.)
    python = await python_client(make_client, server, "py")
    incoming = Recorder(python, "RemoteInvitationReceived")
    await page.evaluate("invite('gone', 'py')")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    remote_events = Recorder(remote, *REMOTE_EVENTS)
    await until_heard(page, "gone", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    await python.logout()
    await until_heard(page, "gone", "LocalInvitationFailure", "PEER_OFFLINE", "FAILURE")
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("UNKNOWN",)

    # The page logs out holding one of each: both end with its session (protocol §3.21), and
    # the other side hears PEER_OFFLINE.
    python = await python_client(make_client, server, "py")
    incoming = Recorder(python, "RemoteInvitationReceived")
    await page.evaluate("invite('mine', 'py')")
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    remote_events = Recorder(remote, *REMOTE_EVENTS)
    _, events = python_invite(python, "web", "yours")
    await until_heard(
        page, "in2", "RemoteInvitationReceived", "py", "yours", "", "INVITATION_RECEIVED"
    )
    await until_heard(page, "mine", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    await events.wait_for("LocalInvitationReceivedByPeer")
    await page.evaluate("client.logout()")
    assert await heard_of(page, "mine") == [
        ["LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE"],
        ["LocalInvitationFailure", "NOT_LOGGEDIN", "FAILURE"],
    ]
    assert await heard_of(page, "in2") == [
        ["RemoteInvitationReceived", "py", "yours", "", "INVITATION_RECEIVED"],
        ["RemoteInvitationFailure", "UNKNOWN", "FAILURE"],
    ]
    assert await remote_events.wait_for("RemoteInvitationFailure") == ("PEER_OFFLINE",)
    assert await events.wait_for("LocalInvitationFailure") == ("PEER_OFFLINE",)

    # Sent while logged out: no exception, a NOT_LOGGEDIN failure once send() has returned.
    assert await page.evaluate("invite('out', 'py')") == "IDLE"
    await until_heard(page, "out", "LocalInvitationFailure", "NOT_LOGGEDIN", "FAILURE")


# --- the links: a resume keeps them, a new session ends them ------------------------------------


async def test_a_resumed_link_keeps_invitations_and_a_new_session_ends_them(
    page: Page, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    server = await start_server(session_grace=unit(1.5))
    proxy = await TcpProxy(server.gateway.port).start()
    try:
        python = await python_client(make_client, server, "py")
        incoming = Recorder(python, "RemoteInvitationReceived")
        await web_client(page, server, "web", proxy.url)
        await page.evaluate(
            "window.states = []; client.on('ConnectionStateChanged', (s) => states.push(s))"
        )
        await page.evaluate("invite('kept', 'py', 'through the tunnel')")
        (remote,) = await incoming.wait_for("RemoteInvitationReceived")
        await until_heard(page, "kept", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")

        # Lost and resumed within the grace: the acceptance made meanwhile reaches the page,
        # whose confirmation completes the Python side.
        proxy.refuse()
        proxy.drop()
        await page.wait_for_function("states.at(-1) === 'RECONNECTING'", timeout=unit(5) * 1000)
        answered = Recorder(remote, *REMOTE_EVENTS)
        remote.response = "yes"
        remote.accept()
        proxy.accept()
        await until_heard(page, "kept", "LocalInvitationAccepted", "yes", "ACCEPTED_BY_REMOTE")
        assert await answered.wait_for("RemoteInvitationAccepted") == ()

        # Lost past the grace: the re-login makes a new session, without the old invitations.
        _, events = python_invite(python, "web", "lost")
        await until_heard(
            page, "in1", "RemoteInvitationReceived", "py", "lost", "", "INVITATION_RECEIVED"
        )
        await page.evaluate("invite('dropped', 'py')")
        await incoming.wait_for("RemoteInvitationReceived")
        await until_heard(page, "dropped", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
        proxy.refuse()
        proxy.drop()
        await page.wait_for_function("states.at(-1) === 'RECONNECTING'", timeout=unit(5) * 1000)
        assert await events.wait_for("LocalInvitationFailure", timeout=unit(5)) == ("PEER_OFFLINE",)
        proxy.accept()
        await page.wait_for_function("states.at(-1) === 'CONNECTED'", timeout=unit(10) * 1000)
        assert (await heard_of(page, "dropped"))[-1] == [
            "LocalInvitationFailure",
            "NOT_LOGGEDIN",
            "FAILURE",
        ]
        assert (await heard_of(page, "in1"))[-1] == [
            "RemoteInvitationFailure",
            "UNKNOWN",
            "FAILURE",
        ]
    finally:
        await proxy.close()


# --- API-call errors (spec §4.14) ---------------------------------------------------------------


async def test_every_invitation_api_call_error(
    page: Page, server: Server, make_client: ClientFactory
) -> None:
    python = await python_client(make_client, server, "py")
    incoming = Recorder(python, "RemoteInvitationReceived")
    await web_client(page, server, "web")
    caught = await page.evaluate(
        """() => {
            const caught = [];
            const attempt = (what, call) => {
                try { call(); caught.push([what, "ok"]); }
                catch (e) { caught.push([what, e.code, e.name]); }
            };
            attempt("create ''", () => client.createLocalInvitation(""));
            attempt("create null", () => client.createLocalInvitation("null"));
            attempt("create 42", () => client.createLocalInvitation(42));
            const invitation = client.createLocalInvitation("py");
            window.calls.errors = invitation;
            attempt("cancel before send", () => invitation.cancel());
            invitation.content = "x".repeat(8 * 1024 + 1);
            attempt("content over 8 KB", () => invitation.send());
            invitation.content = "é".repeat(4096); // 8 KB exactly, in UTF-8
            invitation.channelId = "bad channel\\u0000";
            attempt("bad channel id", () => invitation.send());
            invitation.channelId = "";
            attempt("set response", () => { invitation.response = "mine"; });
            attempt("set calleeId", () => { invitation.calleeId = "carol"; });
            attempt("set state", () => { invitation.state = "CANCELED"; });
            caught.push(["state", invitation.state, invitation.calleeId, invitation.response]);
            invitation.on("LocalInvitationReceivedByPeer", () => heard.push(["received"]));
            invitation.on("LocalInvitationCanceled", () => heard.push(["canceled"]));
            attempt("send", () => invitation.send());
            attempt("send again", () => invitation.send());
            return caught;
        }"""
    )
    invalid, status = "RtmInvalidArgumentError", "RtmInvalidStatusError"
    assert caught == [
        ["create ''", 1, invalid],
        ["create null", 1, invalid],
        ["create 42", 1, invalid],
        ["cancel before send", 2, status],
        ["content over 8 KB", 1, invalid],
        ["bad channel id", 1, invalid],
        ["set response", 1, invalid],
        ["set calleeId", 1, invalid],
        ["set state", 1, invalid],
        ["state", "IDLE", "py", ""],
        ["send", "ok"],
        ["send again", 5, status],
    ]
    (remote,) = await incoming.wait_for("RemoteInvitationReceived")
    assert remote.content == "é" * 4096
    await until_heard(page, "received")
    caught = await page.evaluate(
        """async () => {
            const caught = [];
            const invitation = calls.errors;
            const attempt = (what, call) => {
                try { call(); caught.push([what, "ok"]); }
                catch (e) { caught.push([what, e.code, e.name]); }
            };
            attempt("send once received", () => invitation.send());
            attempt("cancel", () => invitation.cancel());
            await new Promise((resolve) => invitation.once("LocalInvitationCanceled", resolve));
            attempt("send once ended", () => invitation.send());
            attempt("cancel once ended", () => invitation.cancel());
            return caught;
        }"""
    )
    assert caught == [
        ["send once received", 5, status],
        ["cancel", "ok"],
        ["send once ended", 3, status],
        ["cancel once ended", 3, status],
    ]

    # The callee's side.
    python_invite(python, "web", "answer me", "room-1")
    await until_heard(
        page, "in1", "RemoteInvitationReceived", "py", "answer me", "room-1", "INVITATION_RECEIVED"
    )
    caught = await page.evaluate(
        """async () => {
            const caught = [];
            const invitation = calls.in1;
            const attempt = (what, call) => {
                try { call(); caught.push([what, "ok"]); }
                catch (e) { caught.push([what, e.code, e.name]); }
            };
            attempt("set callerId", () => { invitation.callerId = "carol"; });
            attempt("set content", () => { invitation.content = "changed"; });
            attempt("set channelId", () => { invitation.channelId = "other"; });
            attempt("set state", () => { invitation.state = "ACCEPTED"; });
            caught.push(["fields", invitation.callerId, invitation.content, invitation.channelId,
                invitation.state]);
            invitation.response = "y".repeat(8 * 1024 + 1);
            attempt("accept, response over 8 KB", () => invitation.accept());
            attempt("refuse, response over 8 KB", () => invitation.refuse());
            invitation.response = "ok";
            attempt("accept", () => invitation.accept());
            attempt("accept again", () => invitation.accept());
            attempt("refuse while accepting", () => invitation.refuse());
            await new Promise((resolve) => invitation.once("RemoteInvitationAccepted", resolve));
            attempt("accept once ended", () => invitation.accept());
            attempt("refuse once ended", () => invitation.refuse());
            return caught;
        }"""
    )
    assert caught == [
        ["set callerId", 1, invalid],
        ["set content", 1, invalid],
        ["set channelId", 1, invalid],
        ["set state", 1, invalid],
        ["fields", "py", "answer me", "room-1", "INVITATION_RECEIVED"],
        ["accept, response over 8 KB", 1, invalid],
        ["refuse, response over 8 KB", 1, invalid],
        ["accept", "ok"],
        ["accept again", 4, status],
        ["refuse while accepting", 4, status],
        ["accept once ended", 3, status],
        ["refuse once ended", 3, status],
    ]


# --- browser → browser ----------------------------------------------------------------------------


async def test_browser_calls_browser(browser: Browser, server: Server) -> None:
    caller, callee = await browser.new_page(), await browser.new_page()
    await web_client(caller, server, "alice")
    await web_client(callee, server, "bob")
    await caller.evaluate("invite('call', 'bob', 'ring ring')")
    await until_heard(
        callee, "in1", "RemoteInvitationReceived", "alice", "ring ring", "", "INVITATION_RECEIVED"
    )
    await until_heard(caller, "call", "LocalInvitationReceivedByPeer", "RECEIVED_BY_REMOTE")
    await callee.evaluate("calls.in1.response = 'hi alice'; calls.in1.accept()")
    await until_heard(caller, "call", "LocalInvitationAccepted", "hi alice", "ACCEPTED_BY_REMOTE")
    await until_heard(callee, "in1", "RemoteInvitationAccepted", "ACCEPTED")
    await caller.evaluate("invite('again', 'bob')")
    await until_heard(
        callee, "in2", "RemoteInvitationReceived", "alice", "", "", "INVITATION_RECEIVED"
    )
    await callee.evaluate("calls.in2.refuse()")
    await until_heard(callee, "in2", "RemoteInvitationRefused", "REFUSED")
    await until_heard(caller, "again", "LocalInvitationRefused", "", "REFUSED_BY_REMOTE")
    await asyncio.gather(caller.close(), callee.close())
