"""``RtmClient``: login, logout and the connection state (design §4, spec §1.2, §3).

The connection state follows the table of :mod:`openrtm.client.states`; every change is
emitted as ``ConnectionStateChanged(new_state, reason)``. When the server closes the
connection, the close code's policy (``protocol.codes.close_policy``) says whether to retry
(RECONNECTING, with exponential backoff and jitter, until logged in again) or to stop
(ABORTED with the kick's reason).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import random
import secrets
import urllib.parse
from collections.abc import Callable
from enum import IntEnum
from typing import Any

import msgspec
from picows import WSError

from openrtm._version import VERSION
from openrtm.client.attributes import AttributeCalls, AttributeMethods
from openrtm.client.channel import RtmChannel
from openrtm.client.config import normalize_config
from openrtm.client.connection import Connection, LinkLost
from openrtm.client.events import EventEmitter
from openrtm.client.invitation import InvitationCalls, InvitationMethods
from openrtm.client.media import MediaCalls, MediaMethods
from openrtm.client.messages import (
    PeerMessageSendResult,
    RtmMessage,
    SendMessageOptions,
    from_dict,
)
from openrtm.client.peers import PeerCalls
from openrtm.client.presence import PresenceCalls, PresenceMethods
from openrtm.client.states import Trigger, next_state
from openrtm.errors import RtmError, error_for
from openrtm.protocol.attributes import (
    ChannelAttributesPush,
    SetUserAttributes,
)
from openrtm.protocol.codes import (
    AttributeOperationError,
    CloseCode,
    ConnectionChangeReason,
    ConnectionState,
    CreateChannelError,
    CreateInstanceError,
    JoinChannelError,
    LoginError,
    LogoutError,
    PeerSubscriptionStatusError,
    RenewTokenError,
    close_policy,
)
from openrtm.protocol.invitations import CallInvitePush, LocalCallPush, RemoteCallPush
from openrtm.protocol.limits import (
    RENEW_TOKEN_RATE,
    CallWindows,
    RateLimit,
    is_valid_app_id,
    is_valid_channel_id,
    is_valid_user_id,
)
from openrtm.protocol.messages import (
    PROTOCOL_VERSION,
    ChannelMessagePush,
    JoinChannel,
    Login,
    LoginResult,
    Logout,
    MemberCountPush,
    MemberJoinedPush,
    MemberLeftPush,
    PeerMessagePush,
    RenewToken,
    Request,
    ServerFrame,
    TokenExpiringPush,
)
from openrtm.protocol.presence import PeerStatusPush, Subscribe

__all__ = ["DEFAULT_SERVER", "RtmClient", "create_instance"]

log = logging.getLogger("openrtm.client")

DEFAULT_SERVER = "ws://127.0.0.1:8765/"


def create_instance(
    app_id: str, config: dict[str, Any] | None = None, *, server: str | None = None
) -> RtmClient:
    """Create a client for App ``app_id`` (spec §1.1 ``createInstance``).

    Args:
        app_id: 32 ASCII letters and digits.
        config: RtmConfig keys (``enable_log_upload``, ``log_filter``, ``enable_cloud_proxy``,
            or their camelCase spellings) and openrtm's ``login_timeout``,
            ``request_timeout`` and ``reconnect_backoff_max`` (seconds).
        server: the WebSocket URL printed by ``openrtm serve``; default env
            ``OPENRTM_SERVER``, else ``ws://127.0.0.1:8765/``.

    Raises:
        RtmInvalidArgumentError: code 1, for a malformed App ID or an unknown config key.
    """
    return RtmClient(app_id, config, server=server)


class RtmClient(PresenceMethods, AttributeMethods, InvitationMethods, MediaMethods, EventEmitter):
    """A client of one App (spec §1.2); create it with :func:`create_instance`.

    Events: ``ConnectionStateChanged(new_state, reason)`` (strings, spec §3.1);
    ``MessageFromPeer(message, peer_id, props)``; ``PeersOnlineStatusChanged(statuses)``;
    ``RemoteInvitationReceived(invitation)`` (spec §1.5);
    ``TokenPrivilegeWillExpire()``, ``TokenExpired()`` (spec §6.10).
    """

    def __init__(
        self, app_id: str, config: dict[str, Any] | None = None, *, server: str | None = None
    ) -> None:
        super().__init__()
        if not is_valid_app_id(app_id):
            raise error_for(CreateInstanceError.INVALID_ARGUMENT, "invalid App ID")
        self.app_id = app_id
        self.server = server or os.environ.get("OPENRTM_SERVER") or DEFAULT_SERVER
        self._config = normalize_config(config)
        self._state = ConnectionState.DISCONNECTED
        self._conn: Connection | None = None
        self._uid: str | None = None
        self._token: str | None = None
        self._session: LoginResult | None = None
        self._attempt: asyncio.Task[tuple[Connection, LoginResult]] | None = None
        self._reconnect_task: asyncio.Task[None] | None = None
        self._last_login_at: float | None = None
        self._token_expired_told = False
        self._connected = asyncio.Event()
        self._request_ids = itertools.count(1)
        self._message_budget = (
            "messages",
            RateLimit(self._config["message_rate_calls"], self._config["message_rate_window"]),
        )
        self._mid_prefix = secrets.token_hex(4) + "-"
        self._last_mid = 0
        self._windows = CallWindows()
        self.channels: dict[str, RtmChannel] = {}
        """Joined (or joining) channels by id; the SDK's own bookkeeping."""
        self._peers = PeerCalls(self)
        self._presence = PresenceCalls(self)
        self._attributes = AttributeCalls(self)
        self._invitations = InvitationCalls(self)
        self._media = MediaCalls(self)
        self._push_handlers: dict[type[ServerFrame], Callable[[Any], None]] = {
            ChannelMessagePush: self._on_channel_push,
            MemberJoinedPush: self._on_channel_push,
            MemberLeftPush: self._on_channel_push,
            MemberCountPush: self._on_channel_push,
            ChannelAttributesPush: self._on_channel_push,
            PeerStatusPush: self._presence.on_push,
            TokenExpiringPush: self._on_token_expiring,
        }

    @property
    def connection_state(self) -> str:
        """The connection state: ``"DISCONNECTED"`` ... ``"ABORTED"`` (spec §3.1)."""
        return self._state.value

    @property
    def uid(self) -> str | None:
        """The uid of the current or last login."""
        return self._uid

    @property
    def session_id(self) -> str | None:
        """The server's id for the current login session (the same across a resume)."""
        return self._session.session_id if self._session is not None else None

    @property
    def http_url(self) -> str | None:
        """The base URL of the server's HTTP face (media transfers), known once logged in.

        The server names it at login: its public URL when it has one (behind a reverse
        proxy), else its HTTP port on the host of :attr:`server`.
        """
        session = self._session
        if session is None:
            return None
        if session.http is not None:
            return session.http if session.http.endswith("/") else session.http + "/"
        if session.http_port is None:
            return None
        url = urllib.parse.urlsplit(self.server)
        scheme = "https" if url.scheme == "wss" else "http"
        host = url.hostname or "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        return f"{scheme}://{host}:{session.http_port}/"

    @property
    def media_ticket(self) -> str | None:
        """The login session's credential for media transfers (``Authorization: Bearer``),
        known once logged in; the SDK's media methods use it."""
        session = self._session
        return session.media_ticket if session is not None else None

    @property
    def logged_in(self) -> bool:
        """Whether the client is CONNECTED."""
        return self._state is ConnectionState.CONNECTED

    # --- login / logout --------------------------------------------------------------------

    async def login(self, uid: str, token: str | None = None) -> None:
        """Log in as ``uid`` (spec §1.2 ``login``).

        Raises:
            RtmInvalidArgumentError: code 3, invalid uid or token type.
            RtmInvalidStatusError: code 8, not DISCONNECTED; code 201, logout() during login.
            RtmInvokeTooOftenError: code 10, less than 500 ms after the previous login call.
            RtmUnauthenticatedError: code 4, 5 or 6 (App ID, token, expired token).
            RtmTimeoutError: code 9, no answer within the login timeout.
        """
        if not is_valid_user_id(uid):
            raise error_for(LoginError.INVALID_ARGUMENT, "invalid uid")
        if token is not None and not isinstance(token, str):
            raise error_for(LoginError.INVALID_ARGUMENT, "token must be a string")
        if self._state is not ConnectionState.DISCONNECTED:
            raise error_for(LoginError.ALREADY_LOGIN, f"cannot log in while {self._state}")
        loop = asyncio.get_running_loop()
        if self._last_login_at is not None and loop.time() - self._last_login_at < 0.5:
            # Spec §1.2, §5.4: at most 2 login calls a second.
            raise error_for(LoginError.TOO_OFTEN, "login called less than 500 ms ago")
        self._last_login_at = loop.time()
        self._uid, self._token = uid, token
        self._transition(Trigger.LOGIN)
        attempt = loop.create_task(self._connect_and_login(self._config["login_timeout"]))
        self._attempt = attempt
        try:
            conn, session = await attempt
        except asyncio.CancelledError:
            if self.connection_state != ConnectionState.CONNECTING:
                # logout() cancelled the attempt and already moved the state on.
                raise error_for(
                    LoginError.ABORTED_BY_LOGOUT, "logout called during login"
                ) from None
            attempt.cancel()  # our caller was cancelled: give up the login, then propagate
            self._transition(Trigger.REJECTED)
            raise
        except RtmError:
            self._transition(Trigger.REJECTED)
            raise
        except TimeoutError as exc:
            self._transition(Trigger.TIMED_OUT)
            raise error_for(LoginError.TIMEOUT, "login timed out") from exc
        finally:
            self._attempt = None
        self._accept(conn, session)

    async def logout(self) -> None:
        """Log out and close the connection (spec §1.2 ``logout``).

        Raises:
            RtmInvalidStatusError: code 102, not logged in.
        """
        if self._state is ConnectionState.DISCONNECTED:
            raise error_for(LogoutError.USER_NOT_LOGGED_IN, "not logged in")
        for task in (self._attempt, self._reconnect_task):
            if task is not None:
                task.cancel()
        conn, self._conn = self._conn, None  # its close is ours now, not a kick
        self._session = None
        for channel in list(self.channels.values()):
            channel._forget()  # spec §3.2: logout leaves every channel
        # Spec §6.9, §6.6: logout wipes subscriptions and this user's attributes.
        self._presence.following.clear()
        self._attributes.local = {}
        if conn is not None and not conn.closed:
            # Logging out locally is what matters; the server drops us anyway.
            with contextlib.suppress(RtmError, LinkLost, TimeoutError):
                await asyncio.wait_for(
                    conn.request(Logout(id=conn.next_id()), "LogoutError"),
                    self._config["request_timeout"],
                )
            conn.close(CloseCode.NORMAL)
        self._transition(Trigger.LOGOUT)

    async def renew_token(self, token: str) -> None:
        """Replace the login token, for the same uid (spec §1.2 ``renewToken``, §6.10).

        While RECONNECTING the token is kept for the next re-login.

        Raises:
            RtmInvalidArgumentError: 2, empty or not a string.
            RtmInvalidStatusError: 102, not logged in.
            RtmInvokeTooOftenError: 4, more than twice a second.
            RtmUnauthenticatedError: 6 invalid, 5 already expired.
        """
        if not isinstance(token, str) or not token:
            raise error_for(RenewTokenError.INVALID_ARGUMENT, "a token is a non-empty string")
        if self._state not in (ConnectionState.CONNECTED, ConnectionState.RECONNECTING):
            raise error_for(RenewTokenError.USER_NOT_LOGGED_IN, "not logged in")
        if self.within((RenewToken, RENEW_TOKEN_RATE)) >= 0:
            raise error_for(RenewTokenError.TOO_OFTEN, "over 2 calls a second")
        if self._state is ConnectionState.CONNECTED:
            await self.call(RenewToken, RenewTokenError, token=token)
        self._token = token
        self._token_expired_told = False

    def _on_token_expiring(self, frame: TokenExpiringPush) -> None:
        self.emit("TokenPrivilegeWillExpire")  # spec §6.10: 30 s before the deadline

    # --- messages and channels -------------------------------------------------------------

    async def send_message_to_peer(
        self,
        message: RtmMessage | str | dict[str, Any],
        peer_id: str,
        options: SendMessageOptions | dict[str, Any] | None = None,
    ) -> PeerMessageSendResult:
        """Send a message to ``peer_id`` (``sendMessageToPeer``, spec §6.1).

        Resolves with ``has_peer_received`` True once the peer's SDK acknowledged it, False
        when the peer is offline (stored for it with ``enable_offline_messaging``).

        Raises:
            RtmInvalidStatusError: 102, not logged in.
            RtmInvalidArgumentError: 6 invalid peer id; 7 not a valid message (32 KB).
            RtmTimeoutError: 2, no answer in time.
        """
        return await self._peers.send(message, peer_id, options)

    def create_message(self, message: RtmMessage | dict[str, Any]) -> RtmMessage:
        """Build a message from a dict in the Web shape (``createMessage``, spec §1.2).

        In 1.4.x this rebuilds a FILE or IMAGE message from a known media id:
        ``{"mediaId": ..., "messageType": "FILE" | "IMAGE", "fileName": ..., "size": ...,
        "description": ..., "thumbnail": ..., "width": ..., ...}``. Nothing is checked until
        the message is sent (an invalid one is refused then); an ``RtmMessage`` is returned
        as is.
        """
        if isinstance(message, RtmMessage):
            return message
        return from_dict(message)

    def create_channel(self, channel_id: str) -> RtmChannel:
        """Create a channel object; joining is separate (spec §1.2 ``createChannel``).

        Raises:
            RtmInvalidArgumentError: 1, invalid channel id.
        """
        if not is_valid_channel_id(channel_id):
            raise error_for(CreateChannelError.INVALID_ARGUMENT, "invalid channel id")
        return RtmChannel(self, channel_id)

    def within(self, *checks: tuple[object, RateLimit]) -> int:
        """Check a call against call-frequency limits, as the server does (spec §5.4).

        Returns the index of the first refusing limit, or -1 when the call is recorded.
        """
        return self._windows.within(asyncio.get_running_loop().time(), *checks)

    async def until_connected(self, timeout_code: IntEnum, not_logged_in_code: IntEnum) -> None:
        """Return when CONNECTED; while RECONNECTING wait for it (spec §1.2: a message sent
        while reconnecting waits for the reconnection, then goes or times out)."""
        if self._state is ConnectionState.CONNECTED:
            return
        if self._state is not ConnectionState.RECONNECTING:
            raise error_for(not_logged_in_code, "not logged in")
        self._connected.clear()
        try:
            await asyncio.wait_for(self._connected.wait(), self._config["request_timeout"])
        except TimeoutError as exc:
            raise error_for(timeout_code, "still reconnecting") from exc
        if self.connection_state != ConnectionState.CONNECTED:
            raise error_for(not_logged_in_code, "not logged in")

    def within_message_budget(self) -> bool:
        """Count a peer or channel message against the shared budget (spec §5.4)."""
        return self.within(self._message_budget) < 0

    def next_mid(self) -> str:
        """A message id unique to this client (receivers de-duplicate by it)."""
        self._last_mid += 1
        return f"{self._mid_prefix}{self._last_mid}"

    def send_request(
        self,
        kind: type[Request],
        errors: type[IntEnum],
        *,
        timeout_code: IntEnum | None = None,
        **fields: Any,
    ) -> asyncio.Future[Any]:
        """Send a request of ``kind`` now (frames leave in call order); return its answer.

        The future raises ``errors`` codes; no answer within the request timeout, or a link
        lost meanwhile, is ``timeout_code``, by default the operation's TIMEOUT code (FAILURE
        where it has none).
        """
        if timeout_code is None:
            timeout_code = getattr(errors, "TIMEOUT", None) or errors["FAILURE"]
        conn = self._conn
        if conn is None or conn.closed:
            failed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
            failed.set_exception(error_for(timeout_code, "not connected"))
            return failed
        answer = conn.request(kind(id=conn.next_id(), **fields), errors.__name__)
        return asyncio.ensure_future(self._answer(answer, timeout_code))

    async def _answer(self, answer: asyncio.Future[Any], timeout_code: IntEnum) -> Any:
        try:
            return await asyncio.wait_for(answer, self._config["request_timeout"])
        except (TimeoutError, LinkLost) as exc:
            raise error_for(timeout_code, "no answer from the server") from exc

    async def call(self, kind: type[Request], errors: type[IntEnum], **fields: Any) -> Any:
        """Send a request of ``kind`` and return its result (see :meth:`send_request`)."""
        return await self.send_request(kind, errors, **fields)

    def _on_channel_push(
        self,
        frame: ChannelMessagePush
        | MemberJoinedPush
        | MemberLeftPush
        | MemberCountPush
        | ChannelAttributesPush,
    ) -> None:
        channel = self.channels.get(frame.channel)
        if channel is not None:
            channel._on_push(frame)

    # --- internals -------------------------------------------------------------------------

    def _transition(
        self,
        trigger: Trigger,
        kick_reason: ConnectionChangeReason = ConnectionChangeReason.INTERRUPTED,
    ) -> bool:
        found = next_state(self._state, trigger, kick_reason)
        if found is None:
            return False
        self._state, reason = found
        if self._state is not ConnectionState.RECONNECTING:
            self._connected.set()  # wakes sends waiting for a reconnection, whatever became
        if self._state in (ConnectionState.DISCONNECTED, ConnectionState.ABORTED):
            self._invitations.session_over()
        self.emit("ConnectionStateChanged", self._state.value, reason.value)
        return True

    async def _connect_and_login(
        self, timeout: float, resume: str | None = None
    ) -> tuple[Connection, LoginResult]:
        """Connect (retrying while the server is unreachable) and log in, within ``timeout``.

        ``resume`` asks the server to resume that session of a lost link (spec §3.3).

        Raises:
            RtmError: the server refused the login.
            TimeoutError: no login within ``timeout``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        delay = 0.1
        while True:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError
            conn = self._new_connection()
            try:
                await conn.open(
                    self.server,
                    min(remaining, self._config["connect_timeout"]),
                    self._config["ping_interval"],
                    self._config["ping_timeout"],
                )
                login = Login(
                    id=conn.next_id(),
                    v=PROTOCOL_VERSION,
                    app_id=self.app_id,
                    uid=self._uid or "",
                    token=self._token,
                    sdk=f"python/{VERSION}",
                    resume=resume,
                )
                remaining = min(deadline - loop.time(), self._config["connect_timeout"])
                result = await asyncio.wait_for(conn.request(login, "LoginError"), remaining)
                return conn, msgspec.convert(result, LoginResult)
            except RtmError:
                conn.close()
                raise
            except (OSError, LinkLost, TimeoutError, WSError, msgspec.ValidationError) as exc:
                # The server is down, restarting, not an openrtm server, or went away
                # mid-login: try again in a bit, until the deadline.
                conn.close()
                log.debug("login attempt failed: %s", exc)
            except BaseException:
                conn.close()
                raise
            await asyncio.sleep(min(delay, max(0.0, deadline - loop.time())))
            delay = min(delay * 2, 1.0)

    def _new_connection(self) -> Connection:
        conn: Connection

        def closed(code: int | None, reason: str) -> None:
            self._on_closed(conn, code, reason)

        conn = Connection(self._on_push, closed, self._request_ids)
        return conn

    def _accept(self, conn: Connection, session: LoginResult) -> None:
        self._conn = conn
        self._session = session
        self._transition(Trigger.ACCEPTED)

    async def _restore(self, conn: Connection) -> bool:
        """Restore the session on a new connection before CONNECTED is announced (spec §3.2):
        re-join the channels, re-subscribe the followed peers, re-write the user attributes.

        Returns False when the link was lost meanwhile; a refused channel is forgotten.
        """
        joins = [
            (channel, self.send_request(JoinChannel, JoinChannelError, channel=channel_id))
            for channel_id, channel in list(self.channels.items())
        ]
        others = []
        if self._presence.following:
            peers = list(self._presence.following)
            others.append(self.send_request(Subscribe, PeerSubscriptionStatusError, peers=peers))
        if self._attributes.local:
            attrs = dict(self._attributes.local)
            others.append(
                self.send_request(SetUserAttributes, AttributeOperationError, attrs=attrs)
            )
        for channel, answer in joins:
            try:
                await answer
            except RtmError as exc:
                if conn.closed:
                    return False
                log.warning("could not re-join a channel after reconnecting: %s", exc)
                channel._forget()
        for answer in others:
            try:
                await answer
            except RtmError as exc:
                if conn.closed:
                    return False
                log.warning("could not restore state after reconnecting: %s", exc)
        return not conn.closed

    def _on_push(self, frame: ServerFrame, conn: Connection) -> None:
        # Acked on the connection they came on: right after a (re)login the client may not
        # have adopted that connection yet, and the ack must not be lost.
        if isinstance(frame, PeerMessagePush):
            self._peers.on_push(frame, conn)
            return
        if isinstance(frame, CallInvitePush | LocalCallPush | RemoteCallPush):
            self._invitations.on_push(frame, conn)
            return
        handler = self._push_handlers.get(type(frame))
        if handler is None:
            log.debug("ignoring push %s", type(frame).__name__)
            return
        handler(frame)

    def _on_closed(self, conn: Connection, code: int | None, reason: str) -> None:
        if conn is not self._conn:
            return  # a login attempt's connection, or one we closed ourselves
        self._conn = None
        policy = close_policy(code)
        log.info("connection closed: code=%s reason=%s", code, reason)
        if not policy.reconnect:
            self._transition(Trigger.KICKED, policy.reason)
            if code == CloseCode.TOKEN_EXPIRED:
                self.emit("TokenExpired")  # spec §3.2: kicked, and told why
            return
        if self._transition(Trigger.LINK_LOST):
            self._reconnect_task = asyncio.get_running_loop().create_task(self._reconnect())

    async def _reconnect(self) -> None:
        """Log in again until it works, with exponential backoff, jitter and a cap."""
        delay = 0.25
        while not await self._relogin():
            await asyncio.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, self._config["reconnect_backoff_max"])

    async def _relogin(self) -> bool:
        """One attempt; True when done (CONNECTED again, or logged out or kicked meanwhile)."""
        if self.connection_state != ConnectionState.RECONNECTING:
            return True
        resume = self._session.session_id if self._session is not None else None
        try:
            conn, session = await self._connect_and_login(self._config["login_timeout"], resume)
        except RtmError as exc:
            log.info("re-login refused: %s", exc)
            if exc.code == LoginError.TOKEN_EXPIRED and not self._token_expired_told:
                # Spec §3.2: RECONNECTING with an expired token stays RECONNECTING and says
                # so once; renew_token() supplies the token the next attempt uses.
                self._token_expired_told = True
                self.emit("TokenExpired")
            return False
        except TimeoutError:
            return False
        self._conn = conn  # its pushes and its close are ours from now on
        # A resumed session kept everything (spec §3.3); a new one is restored by the SDK.
        if not session.resumed:
            self._invitations.session_over()  # the server ended them with the old session
        rejoined = True if session.resumed else await self._restore(conn)
        if self.connection_state != ConnectionState.RECONNECTING:
            if self._conn is conn:
                self._conn = None
            conn.close()
            return True
        if not rejoined:
            return False  # the link dropped again while re-joining
        self._accept(conn, session)
        return True
