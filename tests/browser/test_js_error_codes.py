"""Every spec §4 error code the browser SDK can produce, with its ``code`` and ``name``.

``CATALOGUE`` names, for each code of the per-operation enums (``openrtm.protocol.codes``,
spec §4's tables), the test that makes the browser produce it, or says why it cannot occur;
``test_the_catalogue_covers_every_code`` keeps the two in step. Each error's ``name`` is the
Web SDK's class for its code (spec §1.8, protocol §4.2: ``web_error_name``), except a request
that got no answer, which rejects with ``RtmTimeoutError`` whatever its code (spec §1.8:
"request timeouts"). The pages' code uses only Agora's documented Web API.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import AsyncIterator
from enum import IntEnum
from typing import Any

import pytest
from playwright.async_api import Page

from openrtm.protocol.codes import (
    AttributeOperationError,
    ChannelMessageError,
    CreateChannelError,
    CreateInstanceError,
    DownloadMediaError,
    GetChannelMemberCountError,
    GetMembersError,
    InvitationApiCallError,
    JoinChannelError,
    LeaveChannelError,
    LoginError,
    LogoutError,
    PeerMessageError,
    PeerSubscriptionStatusError,
    QueryPeersBySubscriptionOptionError,
    QueryPeersOnlineStatusError,
    RenewTokenError,
    UploadMediaError,
    web_error_name,
)
from openrtm.protocol.tokens import build_token_007
from openrtm.server import AppSpec, Server
from tests.conftest import APP_CERT, APP_ID, OTHER_APP_ID, ClientFactory, ServerFactory
from tests.proxy import TcpProxy

HERE = "tests.browser.test_js_error_codes"
CHANNELS = "tests.browser.test_js_channels"
PRESENCE = "tests.browser.test_js_presence"
ATTRIBUTES = "tests.browser.test_js_attributes"
SDK = "tests.browser.test_js_sdk"
MEDIA = "tests.browser.test_js_media"
MEDIA_CODES = (MEDIA, "test_every_code_the_page_can_get")
TENTH = (MEDIA, "test_a_tenth_concurrent_transfer_is_refused_with_code_5")
CANCEL = (MEDIA, "test_progress_about_once_a_second_and_cancel_with_code_6")
INVITATIONS = (
    "tests.browser.test_js_invitations",
    "test_every_invitation_api_call_error",
)

RENEW = (PRESENCE, "test_renew_token_moves_the_deadline_and_its_errors")

SERVER_FAULT = "a server-side fault (the store or engine failing): never in a healthy server"
NATIVE_ONLY = "native SDKs only (spec §4: Web resolves or has no such state)"
RESERVED = "reserved: Agora's SDKs never raise it (spec §4)"

# (test module, test name) that produces the code, or a string saying why it cannot occur.
CATALOGUE: dict[IntEnum, tuple[str, str] | str] = {
    LoginError.UNKNOWN: SERVER_FAULT + " (presence unavailable at login, protocol §3.1)",
    LoginError.REJECTED: (HERE, "test_login_codes"),
    LoginError.INVALID_ARGUMENT: (HERE, "test_login_codes"),
    LoginError.INVALID_APP_ID: (HERE, "test_login_codes"),
    LoginError.INVALID_TOKEN: (HERE, "test_login_codes"),
    LoginError.TOKEN_EXPIRED: (HERE, "test_login_codes"),
    LoginError.NOT_AUTHORIZED: "openrtm's tokens are valid or not: it refuses with 5 or 6",
    LoginError.ALREADY_LOGIN: (HERE, "test_login_codes"),
    LoginError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    LoginError.TOO_OFTEN: (HERE, "test_login_codes"),
    LoginError.ABORTED_BY_LOGOUT: (HERE, "test_login_codes"),
    LogoutError.REJECTED: NATIVE_ONLY,
    LogoutError.USER_NOT_LOGGED_IN: (HERE, "test_login_codes"),
    RenewTokenError.FAILURE: (HERE, "test_requests_without_an_answer_time_out"),
    RenewTokenError.INVALID_ARGUMENT: RENEW,
    RenewTokenError.REJECTED: RESERVED,
    RenewTokenError.TOO_OFTEN: RENEW,
    RenewTokenError.TOKEN_EXPIRED: RENEW,
    RenewTokenError.INVALID_TOKEN: RENEW,
    RenewTokenError.USER_NOT_LOGGED_IN: RENEW,
    RenewTokenError.ABORTED_BY_LOGOUT: (HERE, "test_requests_without_an_answer_time_out"),
    PeerMessageError.FAILURE: SERVER_FAULT,
    PeerMessageError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    PeerMessageError.PEER_UNREACHABLE: NATIVE_ONLY + ": {hasPeerReceived: false}",
    PeerMessageError.CACHED_BY_SERVER: NATIVE_ONLY + ": {hasPeerReceived: false}",
    PeerMessageError.TOO_OFTEN: (HERE, "test_message_codes"),
    PeerMessageError.INVALID_USERID: (HERE, "test_message_codes"),
    PeerMessageError.INVALID_MESSAGE: (SDK, "test_errors_are_the_web_sdks"),
    PeerMessageError.INCOMPATIBLE_MESSAGE: "every openrtm SDK reads every message type",
    PeerMessageError.USER_NOT_LOGGED_IN: (SDK, "test_errors_are_the_web_sdks"),
    JoinChannelError.FAILURE: SERVER_FAULT,
    JoinChannelError.REJECTED: RESERVED + " (≤ v1.0.0 only)",
    JoinChannelError.INVALID_ARGUMENT: "createChannel() refuses a bad id first, with 1",
    JoinChannelError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    JoinChannelError.EXCEED_LIMIT: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    JoinChannelError.ALREADY_JOINED: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    JoinChannelError.TOO_OFTEN: (CHANNELS, "test_fifty_joins_in_three_seconds_are_the_most"),
    JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN: (
        CHANNELS,
        "test_channel_errors_are_the_web_sdks",
    ),
    JoinChannelError.USER_NOT_LOGGED_IN: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    JoinChannelError.ABORTED_BY_LEAVE: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID: (
        CHANNELS,
        "test_channel_errors_are_the_web_sdks",
    ),
    LeaveChannelError.FAILURE: (HERE, "test_requests_without_an_answer_time_out"),
    LeaveChannelError.REJECTED: RESERVED,
    LeaveChannelError.NOT_IN_CHANNEL: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    LeaveChannelError.KICKED: "openrtm has no per-channel kick (spec §4.6: trigger unconfirmed)",
    LeaveChannelError.USER_NOT_LOGGED_IN: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    ChannelMessageError.FAILURE: SERVER_FAULT,
    ChannelMessageError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    ChannelMessageError.TOO_OFTEN: (HERE, "test_message_codes"),
    ChannelMessageError.INVALID_MESSAGE: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    ChannelMessageError.NOT_IN_CHANNEL: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    ChannelMessageError.USER_NOT_LOGGED_IN: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    GetMembersError.FAILURE: SERVER_FAULT,
    GetMembersError.REJECTED: RESERVED,
    GetMembersError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    GetMembersError.TOO_OFTEN: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    GetMembersError.NOT_IN_CHANNEL: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    GetMembersError.USER_NOT_LOGGED_IN: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
    QueryPeersOnlineStatusError.FAILURE: SERVER_FAULT,
    QueryPeersOnlineStatusError.INVALID_ARGUMENT: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    QueryPeersOnlineStatusError.REJECTED: RESERVED,
    QueryPeersOnlineStatusError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    QueryPeersOnlineStatusError.TOO_OFTEN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    QueryPeersOnlineStatusError.USER_NOT_LOGGED_IN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    PeerSubscriptionStatusError.FAILURE: SERVER_FAULT,
    PeerSubscriptionStatusError.INVALID_ARGUMENT: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    PeerSubscriptionStatusError.REJECTED: RESERVED,
    PeerSubscriptionStatusError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    PeerSubscriptionStatusError.TOO_OFTEN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    PeerSubscriptionStatusError.OVERFLOW: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    PeerSubscriptionStatusError.USER_NOT_LOGGED_IN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    QueryPeersBySubscriptionOptionError.FAILURE: SERVER_FAULT,
    QueryPeersBySubscriptionOptionError.TIMEOUT: (
        HERE,
        "test_requests_without_an_answer_time_out",
    ),
    QueryPeersBySubscriptionOptionError.TOO_OFTEN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    QueryPeersBySubscriptionOptionError.USER_NOT_LOGGED_IN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    AttributeOperationError.NOT_READY: NATIVE_ONLY + " (deprecated)",
    AttributeOperationError.FAILURE: SERVER_FAULT,
    AttributeOperationError.INVALID_ARGUMENT: (
        ATTRIBUTES,
        "test_attribute_errors_are_refused_before_sending",
    ),
    AttributeOperationError.SIZE_OVERFLOW: (
        ATTRIBUTES,
        "test_attribute_errors_are_refused_before_sending",
    ),
    AttributeOperationError.TOO_OFTEN: (
        ATTRIBUTES,
        "test_attribute_errors_are_refused_before_sending",
    ),
    AttributeOperationError.USER_NOT_FOUND: (HERE, "test_message_codes"),
    AttributeOperationError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    AttributeOperationError.USER_NOT_LOGGED_IN: (
        ATTRIBUTES,
        "test_attribute_errors_are_refused_before_sending",
    ),
    GetChannelMemberCountError.FAILURE: SERVER_FAULT,
    GetChannelMemberCountError.INVALID_ARGUMENT: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    GetChannelMemberCountError.TOO_OFTEN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    GetChannelMemberCountError.TIMEOUT: (HERE, "test_requests_without_an_answer_time_out"),
    GetChannelMemberCountError.EXCEED_LIMIT: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    GetChannelMemberCountError.USER_NOT_LOGGED_IN: (
        PRESENCE,
        "test_presence_errors_are_refused_before_sending",
    ),
    InvitationApiCallError.INVALID_ARGUMENT: INVITATIONS,
    InvitationApiCallError.NOT_STARTED: INVITATIONS,
    InvitationApiCallError.ALREADY_END: INVITATIONS,
    InvitationApiCallError.ALREADY_ACCEPT: INVITATIONS,
    InvitationApiCallError.ALREADY_SENT: INVITATIONS,
    InvitationApiCallError.NOT_LOGGED_IN: "wire only: the SDK reports LocalInvitationFailure"
    " NOT_LOGGEDIN instead (protocol §3.21)",
    InvitationApiCallError.EXCEED_LIMIT: "wire only: the SDK reports LocalInvitationFailure"
    " UNKNOWN instead (protocol §3.21)",
    UploadMediaError.FAILURE: SERVER_FAULT,
    UploadMediaError.INVALID_ARGUMENT: MEDIA_CODES,
    UploadMediaError.TIMEOUT: (MEDIA, "test_an_upload_the_server_stops_waiting_for_is_code_3"),
    UploadMediaError.SIZE_OVERFLOW: MEDIA_CODES,
    UploadMediaError.CONCURRENCY_LIMIT_EXCEEDED: TENTH,
    UploadMediaError.INTERRUPTED: CANCEL,
    UploadMediaError.NOT_LOGGED_IN: MEDIA_CODES,
    DownloadMediaError.FAILURE: SERVER_FAULT,
    DownloadMediaError.INVALID_ARGUMENT: MEDIA_CODES,
    DownloadMediaError.TIMEOUT: "the SDK's own 120 s without progress (spec §4.16): not run, as"
    " it would take two minutes; the upload's code 3 is tested",
    DownloadMediaError.NOT_EXIST: MEDIA_CODES,
    DownloadMediaError.CONCURRENCY_LIMIT_EXCEEDED: TENTH,
    DownloadMediaError.INTERRUPTED: CANCEL,
    DownloadMediaError.NOT_LOGGED_IN: MEDIA_CODES,
    CreateInstanceError.INVALID_ARGUMENT: (SDK, "test_errors_are_the_web_sdks"),
    CreateChannelError.INVALID_ARGUMENT: (CHANNELS, "test_channel_errors_are_the_web_sdks"),
}

ENUMS: tuple[type[IntEnum], ...] = (
    LoginError,
    LogoutError,
    RenewTokenError,
    PeerMessageError,
    JoinChannelError,
    LeaveChannelError,
    ChannelMessageError,
    GetMembersError,
    QueryPeersOnlineStatusError,
    PeerSubscriptionStatusError,
    QueryPeersBySubscriptionOptionError,
    AttributeOperationError,
    GetChannelMemberCountError,
    InvitationApiCallError,
    CreateInstanceError,
    CreateChannelError,
    UploadMediaError,
    DownloadMediaError,
)
"""The spec §4 enums of the Web API: all of them (4.1–4.16)."""


def test_the_catalogue_covers_every_code() -> None:
    # 101 NOT_INITIALIZED is native only (spec §4: a Web client exists once created).
    codes = {code for enum in ENUMS for code in enum if code.name != "NOT_INITIALIZED"}
    assert set(CATALOGUE) == codes
    for code, where in CATALOGUE.items():
        if isinstance(where, tuple):
            module, name = where
            assert callable(getattr(importlib.import_module(module), name, None)), (code, where)


def named(code: IntEnum) -> list[Any]:
    """What a page reports for an error of ``code``: ``[code, name]`` (spec §1.8)."""
    return [int(code), web_error_name(code)]


def timed_out(code: IntEnum) -> list[Any]:
    return [int(code), "RtmTimeoutError"]


def token(uid: str, seconds: int, issued: int | None = None) -> str:
    """A real AccessToken2 for ``uid`` (whole seconds: they do not scale)."""
    return build_token_007(APP_ID, APP_CERT, uid, seconds, issue_ts=issued or int(time.time()))


async def load_sdk(page: Page, server: Server) -> None:
    """Load the SDK; ``codeOf(promise)`` gives ``[code, name]``, or ``"ok"`` when it resolves."""
    await page.add_script_tag(url=server.http_url + "sdk/agora-rtm-sdk.js")
    await page.evaluate(
        """() => {
            window.codeOf = (promise) => promise.then(() => "ok", (e) => [e.code, e.name]);
        }"""
    )


@pytest.fixture
async def secure(start_server: ServerFactory) -> Server:
    """``APP_ID`` needs tokens; ``OTHER_APP_ID`` is in App-ID-only mode."""
    return await start_server(apps=(AppSpec(APP_ID, APP_CERT), AppSpec(OTHER_APP_ID)))


async def test_login_codes(
    page: Page, secure: Server, start_server: ServerFactory, make_client: ClientFactory
) -> None:
    await load_sdk(page, secure)
    unknown_app = "9" * 32  # well formed, but not an App this server serves
    expired = token("web", 1, issued=int(time.time()) - 60)
    codes = await page.evaluate(
        """async ([appId, otherAppId, unknownApp, server, expired]) => {
            const make = (app) => AgoraRTM.createInstance(app, { server });
            const a = make(appId);
            const b = make(appId);
            const c = make(otherAppId);
            const d = make(otherAppId);
            const e = make(otherAppId);
            const results = {
                badUid: await codeOf(a.login({ uid: "a b/c" })),
                badTokenType: await codeOf(a.login({ uid: "web", token: 42 })),
                unknownApp: await codeOf(make(unknownApp).login({ uid: "web" })),
                noToken: await codeOf(a.login({ uid: "web" })),
                badToken: await codeOf(b.login({ uid: "web", token: "007garbage" })),
                expired: await codeOf(make(appId).login({ uid: "web", token: expired })),
                loggedOut: await codeOf(c.logout()),
            };
            await c.login({ uid: "web-c" });
            results.already = await codeOf(c.login({ uid: "web-c" }));
            await c.logout();
            results.tooOften = await codeOf(c.login({ uid: "web-c" }));  // < 500 ms later
            const login = d.login({ uid: "web-d" });
            await d.logout();
            results.abortedByLogout = await codeOf(login);
            results.afterLogout = await codeOf(e.logout());
            return results;
        }""",
        [APP_ID, OTHER_APP_ID, unknown_app, secure.url, expired],
    )
    assert codes == {
        "badUid": named(LoginError.INVALID_ARGUMENT),
        "badTokenType": named(LoginError.INVALID_ARGUMENT),
        "unknownApp": named(LoginError.INVALID_APP_ID),
        "noToken": named(LoginError.INVALID_TOKEN),
        "badToken": named(LoginError.INVALID_TOKEN),
        "expired": named(LoginError.TOKEN_EXPIRED),
        "loggedOut": named(LogoutError.USER_NOT_LOGGED_IN),
        "already": named(LoginError.ALREADY_LOGIN),
        "tooOften": named(LoginError.TOO_OFTEN),
        "abortedByLogout": named(LoginError.ABORTED_BY_LOGOUT),
        "afterLogout": named(LogoutError.USER_NOT_LOGGED_IN),
    }
    # A server at its session limit refuses with 2 REJECTED (protocol §3.1).
    full = await start_server(max_sessions=1)
    python = make_client(full)
    await python.login("py")
    refused = await page.evaluate(
        "([appId, server]) => codeOf(AgoraRTM.createInstance(appId, { server })"
        ".login({ uid: 'web' }))",
        [APP_ID, full.url],
    )
    assert refused == named(LoginError.REJECTED)


async def test_message_codes(page: Page, secure: Server) -> None:
    await load_sdk(page, secure)
    codes = await page.evaluate(
        """async ([appId, server]) => {
            const client = AgoraRTM.createInstance(appId, { server });
            await client.login({ uid: "web" });
            const lobby = client.createChannel("lobby");
            await lobby.join();
            const results = {
                badPeer: await codeOf(client.sendMessageToPeer({ text: "x" }, "a b/c")),
                offlineUser: await codeOf(client.getUserAttributes("nobody")),
            };
            // Spec §5.4: 180 peer and channel messages in 3 s, counted together.
            const sent = [];
            for (let i = 0; i < 180; i++) {
                sent.push(client.sendMessageToPeer({ text: `m${i}` }, "nobody"));
            }
            results.peer181 = await codeOf(client.sendMessageToPeer({ text: "x" }, "nobody"));
            results.channel181 = await codeOf(lobby.sendMessage({ text: "x" }));
            results.the180 = [...new Set(await Promise.all(sent.map((p) => codeOf(p))))];
            await client.logout();
            return results;
        }""",
        [OTHER_APP_ID, secure.url],
    )
    assert codes == {
        "badPeer": named(PeerMessageError.INVALID_USERID),
        "offlineUser": named(AttributeOperationError.USER_NOT_FOUND),
        "peer181": named(PeerMessageError.TOO_OFTEN),
        "channel181": named(ChannelMessageError.TOO_OFTEN),
        "the180": ["ok"],
    }


@pytest.fixture
async def proxies(secure: Server) -> AsyncIterator[tuple[TcpProxy, TcpProxy]]:
    """Two TCP proxies in front of the server's WebSocket endpoint."""
    started = [await TcpProxy(secure.gateway.port).start() for _ in range(2)]
    try:
        yield started[0], started[1]
    finally:
        for proxy in started:
            await proxy.close()


async def test_requests_without_an_answer_time_out(
    page: Page, secure: Server, proxies: tuple[TcpProxy, TcpProxy]
) -> None:
    """A link that stays open but silent (a half-open TCP connection): a login waits its
    timeout (12 s); the requests of a logged-in client fail with their timeout codes when
    the SDK's keepalive finds the link dead (protocol §3.22, about 4 s), all at once."""
    silent, later = proxies
    silent.pause()  # the login's connection never opens
    await load_sdk(page, secure)
    await page.evaluate(
        """async ([appId, silent, later]) => {
            window.loginTimeout = codeOf(
                AgoraRTM.createInstance(appId, { server: silent }).login({ uid: "web-a" }));
            window.client = AgoraRTM.createInstance(appId, { server: later });
            await client.login({ uid: "web-b" });
            window.other = AgoraRTM.createInstance(appId, { server: later });
            await other.login({ uid: "web-c" });
            window.lobby = client.createChannel("lobby");
            await lobby.join();
            window.left = client.createChannel("left");
            await left.join();
        }""",
        [OTHER_APP_ID, silent.url, later.url],
    )
    later.pause()
    codes = await page.evaluate(
        """async () => {
            // Spec §4.3: a renewToken() that a logout() overtakes rejects with 201.
            const renewing = codeOf(other.renewToken("a-new-token"));
            const loggingOut = other.logout();
            const calls = {
                login: loginTimeout,
                peer: codeOf(client.sendMessageToPeer({ text: "x" }, "py")),
                channel: codeOf(lobby.sendMessage({ text: "x" })),
                join: codeOf(client.createChannel("other").join()),
                leave: codeOf(left.leave()),
                members: codeOf(lobby.getMembers()),
                online: codeOf(client.queryPeersOnlineStatus(["py"])),
                subscribe: codeOf(client.subscribePeersOnlineStatus(["py"])),
                byOption: codeOf(client.queryPeersBySubscriptionOption("ONLINE_STATUS")),
                counts: codeOf(client.getChannelMemberCount(["lobby"])),
                setAttrs: codeOf(client.setLocalUserAttributes({ k: "v" })),
                getAttrs: codeOf(client.getChannelAttributes("lobby")),
                renew: codeOf(client.renewToken("a-new-token")),
            };
            const results = {};
            for (const [name, promise] of Object.entries(calls)) results[name] = await promise;
            results.renewAbortedByLogout = await renewing;
            await loggingOut;
            results.states = [client.connectionState, other.connectionState];
            return results;
        }"""
    )
    assert codes == {
        "login": timed_out(LoginError.TIMEOUT),
        "peer": timed_out(PeerMessageError.TIMEOUT),
        "channel": timed_out(ChannelMessageError.TIMEOUT),
        "join": timed_out(JoinChannelError.TIMEOUT),
        "leave": timed_out(LeaveChannelError.FAILURE),
        "members": timed_out(GetMembersError.TIMEOUT),
        "online": timed_out(QueryPeersOnlineStatusError.TIMEOUT),
        "subscribe": timed_out(PeerSubscriptionStatusError.TIMEOUT),
        "byOption": timed_out(QueryPeersBySubscriptionOptionError.TIMEOUT),
        "counts": timed_out(GetChannelMemberCountError.TIMEOUT),
        "setAttrs": timed_out(AttributeOperationError.TIMEOUT),
        "getAttrs": timed_out(AttributeOperationError.TIMEOUT),
        "renew": timed_out(RenewTokenError.FAILURE),
        "renewAbortedByLogout": named(RenewTokenError.ABORTED_BY_LOGOUT),
        "states": ["RECONNECTING", "DISCONNECTED"],
    }
