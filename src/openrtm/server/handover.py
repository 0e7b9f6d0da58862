"""Session handover: a resume that lands on another node than its session's (issue #15 item 3).

docs/protocol.md §3.2. On one node a resume finds its detached session in the Hub. In a
cluster the reconnect may reach any node: the node the login reached (the *taker*) asks the
user's topic for the session (:class:`HandoverAsked`); the node holding it (the *holder*)
answers with what the session holds (:class:`HandedOver`: channels, followed peers, user
attributes, the pushes kept while detached, the unacknowledged peer messages) and forgets it
without a word to anyone — no MemberLeft, no OFFLINE, no Logout event: the user never left.
The taker installs it as a detached session of its own and resumes it as a local resume does,
replaying what was kept; only then does Redis name the taker as its holder
(:meth:`Presence.adopt_session`).

Ordering. The taker subscribes to the user's topic (confirmed) before it asks, so every user
event published after the holder's answer reaches the taker after that answer, on the same
topic; the answer is installed synchronously in the engine's callback, so those events find
the session. Channel and presence events are another matter: between the holder's answer and
the taker's channel subscriptions being confirmed (a Redis round trip) they reach neither
node for this user (docs/deployment.md, Limits).

A holder that does not answer within :data:`HANDOVER_TIMEOUT` (it died, or Redis is slow)
fails the resume into a fresh login, as after the grace period (spec §3.2). Invitations in
progress are not handed over: they fail as on a lost session.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from typing import TYPE_CHECKING

from openrtm.engines.base import (
    EngineUnavailable,
    HandedOver,
    HandoverAsked,
    PeerMessageEvent,
    SessionHandover,
)
from openrtm.protocol.messages import PeerMessagePush
from openrtm.server.session import LOGGED_IN, Session, SessionEvent, SessionState

if TYPE_CHECKING:
    from openrtm.server.node import Node

__all__ = ["HANDOVER_TIMEOUT", "Handovers"]

log = logging.getLogger("openrtm.handover")

HANDOVER_TIMEOUT = 2.0
"""Seconds a taker waits for the holder's answer (and for Redis to confirm the adoption):
a Redis round trip and a node's reaction take milliseconds; a dead node never answers."""


class Handovers:
    """Both ends of a handover on one node: asking for a session, and handing one over."""

    def __init__(self, node: Node) -> None:
        self._node = node
        # Takers waiting for an answer, by (App, uid): their ticket and where the session goes.
        self._waiting: dict[tuple[str, str], tuple[str, str, asyncio.Future[Session | None]]] = {}
        self.handed_over = 0
        """Sessions this node handed to another node."""
        self.taken = 0
        """Sessions this node took over from another node."""

    # --- the taker -----------------------------------------------------------------------------

    async def take(self, app_id: str, uid: str, session_id: str) -> Session | None:
        """Ask for ``uid``'s session ``session_id``; return it installed DETACHED here, or None.

        None: no node holds it (or it is not that session any more), the holder did not answer
        in time, or Redis refused the adoption. Raises nothing.
        """
        node = self._node
        key = (app_id, uid)
        if key in self._waiting or node.hub.user(app_id, uid) is not None:
            return None  # another login of this user is under way here
        try:
            if await node.presence.session_of(app_id, uid) != session_id:
                return None  # ended, or replaced: a fresh login at once, no waiting
        except EngineUnavailable as exc:
            log.warning("resume elsewhere not tried, presence unavailable: %s", exc)
            return None
        ticket = secrets.token_hex(8)
        answer: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()
        self._waiting[key] = (ticket, session_id, answer)
        node.broker.subscribe_user(app_id, uid)
        session: Session | None = None
        try:
            async with asyncio.timeout(HANDOVER_TIMEOUT):
                await node.broker.user_subscribed(app_id, uid)
                node.broker.publish_user(
                    app_id, uid, HandoverAsked(session_id=session_id, ticket=ticket)
                )
                session = await answer
                if session is None:
                    return None
                channels = [c for c, count in session.channels.items() if count > 0]
                adopted = await node.presence.adopt_session(app_id, uid, session_id, channels)
        except (TimeoutError, EngineUnavailable) as exc:
            log.warning("resume on this node failed, a fresh login: %s", exc or "no answer")
            adopted = False
        finally:
            self._waiting.pop(key, None)
            node.broker.unsubscribe_user(app_id, uid)  # the Hub holds its own interest
        if session is not None and not adopted:
            # Installed but not ours in Redis: end it here, as the grace period would.
            node.end_session(session)
            return None
        if session is not None:
            self.taken += 1
        return session

    def answered(self, app_id: str, uid: str, event: HandedOver) -> bool:
        """The holder's answer, in the engine's callback: install the session at once."""
        waiting = self._waiting.get((app_id, uid))
        if waiting is None or waiting[0] != event.ticket or waiting[2].done():
            return False
        held = event.session
        installed = None if held is None else self._install(app_id, uid, waiting[1], held)
        waiting[2].set_result(installed)
        return True

    def _install(self, app_id: str, uid: str, session_id: str, held: SessionHandover) -> Session:
        node = self._node
        session = Session(node, None)
        session.state = SessionState.DETACHED
        session.app_id, session.uid, session.session_id = app_id, uid, session_id
        session.user_attrs = dict(held.user_attrs)
        session.unreachable = held.unreachable
        session.keep_missed_pushes()
        assert session.backlog is not None
        assert session.missed_messages is not None
        session.backlog.extend(held.backlog)
        session.missed_messages.extend(held.missed_messages)
        node.hub.add_user(session)
        node.adopt_detached(session)
        for channel, count in held.channels.items():
            if count > 0:
                session.channels[channel] = count
                node.hub.add_member(session, channel)
        for followed in held.following:
            session.following[followed] = None
            node.hub.follow(session, followed)
        for entry in held.unacked:
            push = PeerMessagePush(
                sender=entry.sender, mid=entry.mid, msg=entry.msg, ts=entry.ts, d=0
            )
            session.deliver(entry, push)  # kept, not written: pushed again at the resume
        return session

    # --- the holder ----------------------------------------------------------------------------

    def asked(self, session: Session, event: HandoverAsked) -> None:
        """Another node asks for ``session``: hand it over if it is the one asked for."""
        node = self._node
        app_id, uid = session.app_id, session.uid
        if session.session_id != event.session_id or not session.alive:
            node.broker.publish_user(app_id, uid, HandedOver(ticket=event.ticket))
            return
        if session.state is LOGGED_IN:
            # The client is gone from this node before the keepalive sweep saw it: its
            # connection is pointed at a throwaway session, so that its end changes nothing.
            old = session.transport
            session.fire(SessionEvent.LINK_LOST)
            session.transport = None
            node.hub.connections.discard(session)
            if old is not None:
                throwaway = Session(node, old)
                throwaway.state = SessionState.CLOSED
                old.attach(throwaway)
                old.abort()
            session.keep_missed_pushes()
        held = SessionHandover(
            channels={c: n for c, n in session.channels.items() if n > 0},
            following=list(session.following),
            user_attrs=dict(session.user_attrs),
            unreachable=session.unreachable,
            backlog=list(session.backlog or ()),
            missed_messages=list(session.missed_messages or ()),
            unacked=[
                entry
                for _, (entry, _) in sorted(session.inflight.items())
                if isinstance(entry, PeerMessageEvent)
            ],
        )
        channels = list(held.channels)
        node.drop_handed_over(session)
        self.handed_over += 1
        # The Hub no longer holds the user: the answer goes through Redis to the taker.
        node.broker.publish_user(app_id, uid, HandedOver(ticket=event.ticket, session=held))
        node.spawn(self._release(app_id, uid, session.session_id, channels))
        log.debug("handed over: app=%s session=%s", app_id, session.session_id)

    async def _release(self, app_id: str, uid: str, session_id: str, channels: list[str]) -> None:
        try:
            await self._node.presence.release_session(app_id, uid, session_id, channels)
        except EngineUnavailable as exc:
            log.warning("could not release a handed-over session: %s", exc)
