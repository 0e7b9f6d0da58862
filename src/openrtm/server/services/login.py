"""Login, logout and the token lifecycle (spec §1.2, §3, §4.1–§4.3, §6.10, §6.11).

A login is checked synchronously (protocol version, App ID, uid, token), then completed in a
task because announcing the session to the engine may take a round trip in a cluster. Logging
in announces :class:`~openrtm.engines.base.SessionClaimed`, which kicks any older session of
the same user on any node with REMOTE_LOGIN.

A session whose token expires gets ``token_expiring`` 30 s before the deadline and is closed
with 4002 (TOKEN_EXPIRED) at it, unless ``renew_token`` moved the deadline meanwhile. One
timer per session on the node's shared facility does both: the warning, then the expiry.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from openrtm._version import VERSION
from openrtm.engines.base import EngineUnavailable, SessionClaimed
from openrtm.protocol.codes import CloseCode, LoginError, PeerOnlineState, RenewTokenError
from openrtm.protocol.limits import LOGIN_RATE, RENEW_TOKEN_RATE
from openrtm.protocol.messages import (
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOL_VERSIONS,
    ClientMessage,
    Login,
    LoginResult,
    Logout,
    Ping,
    RenewToken,
    RenewTokenResult,
    TokenExpiringPush,
)
from openrtm.server.auth import LoginRefused
from openrtm.server.session import Session, SessionEvent, SessionState
from openrtm.server.timers import now_ms
from openrtm.store.base import UserEventRecord

if TYPE_CHECKING:
    from collections.abc import Callable

    from openrtm.server.node import Node

__all__ = ["LoginService"]

log = logging.getLogger("openrtm.login")


class LoginService:
    """Owns the ``login`` and ``logout`` operations."""

    def __init__(self, node: Node) -> None:
        self._node = node
        # Logins accepted but not yet registered in the hub (they wait for presence), in all
        # and by App: the session limits count them, or a burst of logins would all pass.
        self._in_progress = 0
        self._in_progress_by_app: dict[str, int] = {}
        # What GET /metrics reports (server/http/metrics.py reads them when scraped).
        self.logins = 0
        """Logins completed (a resume within the grace period is not one)."""
        self.resumes = 0
        """Lost-link sessions resumed by a new connection (spec §3.3)."""
        self.failures: dict[LoginError, int] = {}
        """Logins refused, by the code the client was told (spec §4.1)."""

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The request types this service answers."""
        return {Login: self.login, Logout: self.logout, RenewToken: self.renew, Ping: self.ping}

    def login(self, session: Session, request: Login) -> None:
        """Check a login request and, if it passes, complete it in the background."""
        if session.state is not SessionState.AWAITING_LOGIN:
            # Spec §4.1: logging in twice, or while a login is in progress, is code 8.
            self._refuse(session, request.id, LoginError.ALREADY_LOGIN, "already logged in")
            return
        if session.within((Login, LOGIN_RATE)) >= 0:
            self._refuse(session, request.id, LoginError.TOO_OFTEN, "over 2 logins a second")
            return
        if request.v not in SUPPORTED_PROTOCOL_VERSIONS:
            self._refuse(
                session,
                request.id,
                LoginError.REJECTED,
                f"unsupported protocol version {request.v}; this server speaks {PROTOCOL_VERSION}",
            )
            return
        try:
            grant = self._node.auth.authenticate(
                request.app_id, request.uid, request.token, int(time.time())
            )
        except LoginRefused as exc:
            log.info("login refused: app=%s code=%d", request.app_id[:32], exc.code)
            self._refuse(session, request.id, exc.code, exc.detail)
            return
        detached = self._node.hub.user(request.app_id, request.uid)
        if (
            request.resume
            and detached is not None
            and detached.alive
            and detached.session_id == request.resume
        ):
            self._resume(session, detached, request.id, grant.token_deadline)
            return
        full = self._full(request.app_id, request.uid)
        if full is not None:
            log.warning("login refused: %s", full)
            self._refuse(session, request.id, LoginError.REJECTED, full)
            return
        session.fire(SessionEvent.LOGIN)
        session.app_id = request.app_id
        session.uid = request.uid
        session.token_deadline = grant.token_deadline
        self._in_progress += 1
        by_app = self._in_progress_by_app
        by_app[request.app_id] = by_app.get(request.app_id, 0) + 1
        if request.resume and detached is None and self._node.config.clustered:
            # The session may be held by another node (docs/protocol.md §3.2).
            self._node.spawn(self._complete(session, request.id, request.resume))
            return
        session.session_id = secrets.token_hex(8)
        self._node.spawn(self._complete(session, request.id))

    def _refuse(self, session: Session, request_id: int, code: LoginError, message: str) -> None:
        self.failures[code] = self.failures.get(code, 0) + 1
        session.refuse(request_id, code, message)

    def _resume(
        self, fresh: Session, detached: Session, request_id: int, deadline: int | None
    ) -> None:
        """Resume a session whose link was lost, within its grace period (spec §3.3).

        Nobody hears of it: no MemberLeft or MemberJoined, no OFFLINE (and ONLINE again only
        for followers that heard UNREACHABLE). What the session missed is replayed.
        """
        node = self._node
        node.resume(detached, fresh)
        if deadline is not None or detached.token_deadline is None:
            detached.token_deadline = deadline
        self._arm_token_timer(detached)
        detached.reply(request_id, self._result(detached, resumed=True))
        self.resumes += 1
        for data in detached.take_missed_pushes():
            detached.write(data)
        # Unacked peer messages again, in order; the SDK shows each once (by mid).
        for d in sorted(detached.inflight):
            detached.write(detached.inflight[d][1])
        node.spawn(node.peers.replay_inbox(detached))
        log.debug("resumed: app=%s session=%s", detached.app_id, detached.session_id)

    def _full(self, app_id: str, uid: str) -> str | None:
        """Why this node takes no more sessions, or None. A login that replaces a session of
        the same user adds none, so it is always let through."""
        config, hub = self._node.config, self._node.hub
        if hub.user(app_id, uid) is not None:
            return None
        if config.max_sessions is not None and len(hub) + self._in_progress >= config.max_sessions:
            return "server full: try again later"
        if config.max_sessions_per_app is not None and (
            hub.users_of(app_id) + self._in_progress_by_app.get(app_id, 0)
            >= config.max_sessions_per_app
        ):
            return "this App has reached its session limit: try again later"
        return None

    async def _complete(self, session: Session, request_id: int, resume: str = "") -> None:
        """Complete a login; with ``resume``, first try to take that session from its node."""
        try:
            if resume:
                taken = await self._node.handover.take(session.app_id, session.uid, resume)
                if taken is not None:
                    if session.state is SessionState.LOGGING_IN:
                        self._resume(session, taken, request_id, session.token_deadline)
                    return  # else: the link went away; the session waits out its grace
                session.session_id = secrets.token_hex(8)
                if session.state is not SessionState.LOGGING_IN:
                    return
            registered = await self._register(session, request_id)
        finally:
            # In the same step as the hub registration (no await in between): never counted
            # twice, nor left out.
            self._in_progress -= 1
            by_app, app_id = self._in_progress_by_app, session.app_id
            by_app[app_id] -= 1
            if not by_app[app_id]:
                del by_app[app_id]
        if registered:
            await self._node.peers.replay_inbox(session)

    async def _register(self, session: Session, request_id: int) -> bool:
        """Announce the session, register it and answer the login; False if it failed."""
        node = self._node
        app_id, uid, session_id = session.app_id, session.uid, session.session_id
        try:
            came_online = await node.presence.add_session(app_id, uid, session_id)
        except EngineUnavailable as exc:
            # Redis down or slow (issue #15): refused at once, nothing to trace.
            log.warning("login refused, presence unavailable: %s", exc)
            if session.fire(SessionEvent.LOGIN_FAILED):
                self._refuse(session, request_id, LoginError.UNKNOWN, "server unavailable")
            return False
        except Exception:
            log.exception("presence unavailable during login")
            if session.fire(SessionEvent.LOGIN_FAILED):
                self._refuse(session, request_id, LoginError.UNKNOWN, "server unavailable")
            return False
        if session.state is not SessionState.LOGGING_IN:
            # The link went away while we waited: undo the announcement.
            try:
                await node.presence.remove_session(app_id, uid, session_id)
            except EngineUnavailable as exc:
                log.warning("could not undo an abandoned login: %s", exc)
            return False
        node.broker.publish_user(app_id, uid, SessionClaimed(session_id=session_id))
        displaced = node.hub.add_user(session)
        if displaced is not None:
            displaced.close(CloseCode.REMOTE_LOGIN, "logged in from another connection")
        session.fire(SessionEvent.LOGIN_OK)
        self._arm_token_timer(session)
        if came_online:
            node.broker.publish_presence(app_id, uid, PeerOnlineState.ONLINE.value)
        if session.login_timer is not None:
            session.login_timer.cancel()
            session.login_timer = None
        node.store.record_user_event(app_id, UserEventRecord(uid=uid, type="Login", ms=now_ms()))
        session.reply(request_id, self._result(session, resumed=False))
        self.logins += 1
        log.debug("login: app=%s session=%s", app_id, session_id)
        return True

    def _result(self, session: Session, *, resumed: bool) -> LoginResult:
        """The reply to a successful login: the session, and where the HTTP face is."""
        node = self._node
        public_url = node.config.public_url
        return LoginResult(
            session_id=session.session_id,
            protocol=PROTOCOL_VERSION,
            server=f"openrtm/{VERSION}",
            server_ts=now_ms(),
            token_deadline=session.token_deadline,
            resumed=resumed,
            http=public_url,
            http_port=node.http_port if public_url is None else None,
            media_ticket=node.media.ticket(session),
        )

    def logout(self, session: Session, request: Logout) -> None:
        """Log out: reply, then end the session and close the connection normally."""
        session.reply(request.id)
        session.close(CloseCode.NORMAL, "logged out")

    def ping(self, session: Session, request: Ping) -> None:
        """Answer at once: the client's keepalive, when it cannot send WebSocket pings."""
        session.reply(request.id)

    # --- the token lifecycle (spec §6.10) ----------------------------------------------------

    def renew(self, session: Session, request: RenewToken) -> None:
        """Replace the token with one for the same uid; the deadline moves, nothing else."""
        if not request.token:
            session.refuse(request.id, RenewTokenError.INVALID_ARGUMENT, "empty token")
            return
        if session.within((RenewToken, RENEW_TOKEN_RATE)) >= 0:
            session.refuse(request.id, RenewTokenError.TOO_OFTEN, "over 2 calls a second")
            return
        try:
            grant = self._node.auth.authenticate(
                session.app_id, session.uid, request.token, int(time.time())
            )
        except LoginRefused as exc:
            code = _RENEW_CODES.get(exc.code, RenewTokenError.INVALID_TOKEN)
            session.refuse(request.id, code, exc.detail)
            return
        if grant.token_deadline is not None or session.token_deadline is None:
            # In "App ID only" mode the token is not checked, and the deadline stays.
            session.token_deadline = grant.token_deadline
        self._arm_token_timer(session)
        session.reply(request.id, RenewTokenResult(token_deadline=session.token_deadline))

    def _arm_token_timer(self, session: Session) -> None:
        if session.token_timer is not None:
            session.token_timer.cancel()
            session.token_timer = None
        if session.token_deadline is None:
            return
        warn_in = session.token_deadline - time.time() - self._node.config.token_warning
        if warn_in > 0:
            session.token_timer = self._node.timers.call_later(warn_in, lambda: self._warn(session))
        else:
            self._warn(session)

    def _warn(self, session: Session) -> None:
        deadline = session.token_deadline
        if not session.logged_in or deadline is None:
            return
        session.send(TokenExpiringPush(deadline=deadline))
        session.token_timer = self._node.timers.call_later(
            max(0.0, deadline - time.time()), lambda: self._expire(session)
        )

    def _expire(self, session: Session) -> None:
        session.token_timer = None
        if session.logged_in:
            session.close(CloseCode.TOKEN_EXPIRED, "token expired")


# Spec §4.3: renew_token reports token problems with its own codes.
_RENEW_CODES = {
    LoginError.INVALID_TOKEN: RenewTokenError.INVALID_TOKEN,
    LoginError.TOKEN_EXPIRED: RenewTokenError.TOKEN_EXPIRED,
    LoginError.INVALID_APP_ID: RenewTokenError.INVALID_TOKEN,
    LoginError.INVALID_ARGUMENT: RenewTokenError.INVALID_ARGUMENT,
}
