"""Login and logout (spec §1.2, §3, §4.1, §4.2, §6.10, §6.11).

A login is checked synchronously (protocol version, App ID, uid, token), then completed in a
task because announcing the session to the engine may take a round trip in a cluster. Logging
in announces :class:`~openrtm.engines.base.SessionClaimed`, which kicks any older session of
the same user on any node with REMOTE_LOGIN.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from openrtm._version import VERSION
from openrtm.engines.base import SessionClaimed
from openrtm.protocol.codes import CloseCode, LoginError
from openrtm.protocol.messages import (
    PROTOCOL_VERSION,
    SUPPORTED_PROTOCOL_VERSIONS,
    ClientMessage,
    Login,
    LoginResult,
    Logout,
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

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The request types this service answers."""
        return {Login: self.login, Logout: self.logout}

    def login(self, session: Session, request: Login) -> None:
        """Check a login request and, if it passes, complete it in the background."""
        if session.state is not SessionState.AWAITING_LOGIN:
            # Spec §4.1: logging in twice, or while a login is in progress, is code 8.
            session.refuse(request.id, LoginError.ALREADY_LOGIN, "already logged in")
            return
        if request.v not in SUPPORTED_PROTOCOL_VERSIONS:
            session.refuse(
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
            session.refuse(request.id, exc.code, exc.detail)
            return
        session.fire(SessionEvent.LOGIN)
        session.app_id = request.app_id
        session.uid = request.uid
        session.session_id = secrets.token_hex(8)
        session.token_deadline = grant.token_deadline
        self._node.spawn(self._complete(session, request.id))

    async def _complete(self, session: Session, request_id: int) -> None:
        node = self._node
        app_id, uid, session_id = session.app_id, session.uid, session.session_id
        try:
            came_online = await node.presence.add_session(app_id, uid, session_id)
        except Exception:
            log.exception("presence unavailable during login")
            if session.fire(SessionEvent.LOGIN_FAILED):
                session.refuse(request_id, LoginError.UNKNOWN, "server unavailable")
            return
        if session.state is not SessionState.LOGGING_IN:
            # The link went away while we waited: undo the announcement.
            await node.presence.remove_session(app_id, uid, session_id)
            return
        node.broker.publish_user(app_id, uid, SessionClaimed(session_id=session_id))
        displaced = node.hub.add_user(session)
        if displaced is not None:
            displaced.close(CloseCode.REMOTE_LOGIN, "logged in from another connection")
        session.fire(SessionEvent.LOGIN_OK)
        if came_online:
            node.broker.publish_presence(app_id, uid, True)
        if session.login_timer is not None:
            session.login_timer.cancel()
            session.login_timer = None
        node.store.record_user_event(app_id, UserEventRecord(uid=uid, type="Login", ms=now_ms()))
        session.reply(
            request_id,
            LoginResult(
                session_id=session_id,
                protocol=PROTOCOL_VERSION,
                server=f"openrtm/{VERSION}",
                server_ts=now_ms(),
                token_deadline=session.token_deadline,
            ),
        )
        log.info("login: app=%s session=%s", app_id, session_id)
        await node.peers.replay_inbox(session)

    def logout(self, session: Session, request: Logout) -> None:
        """Log out: reply, then end the session and close the connection normally."""
        session.reply(request.id)
        session.close(CloseCode.NORMAL, "logged out")
