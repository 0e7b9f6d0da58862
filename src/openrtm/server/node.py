"""The Node: the composition root and the one place that knows the whole server (design §2).

It owns the Hub, the engine (Broker + Presence), the Store, the timer facility and the
services, and it is the engine's :class:`~openrtm.engines.base.EngineHandler`. Services are
small modules that each take one domain and register a handler per request type; a Session
dispatches a decoded request through :attr:`Node.handlers`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from openrtm.engines.base import (
    Broker,
    CallEvent,
    ChannelEvent,
    EngineUnavailable,
    HandedOver,
    HandoverAsked,
    InboxChanged,
    PeerDelivered,
    PeerMessageEvent,
    Presence,
    SessionClaimed,
    UserEvent,
)
from openrtm.engines.memory import MemoryBroker, MemoryPresence
from openrtm.protocol.codec import REQUEST_TYPES
from openrtm.protocol.codes import CloseCode, MessageType, PeerOnlineState
from openrtm.protocol.messages import ClientMessage, Message
from openrtm.server.auth import Authenticator
from openrtm.server.config import ServerConfig
from openrtm.server.handover import Handovers
from openrtm.server.history import HistoryQueries
from openrtm.server.hub import Hub
from openrtm.server.services.attributes import AttributeService
from openrtm.server.services.channels import ChannelService
from openrtm.server.services.invitations import InvitationService
from openrtm.server.services.login import LoginService
from openrtm.server.services.media import MediaService
from openrtm.server.services.peers import PeerService
from openrtm.server.services.presence import PresenceService
from openrtm.server.session import CLOSED, DETACHED, LOGGED_IN, Session, SessionEvent, Transport
from openrtm.server.timers import Timers, now_ms
from openrtm.store.base import HistoryDestinationKind, HistoryRecord, Store, UserEventRecord
from openrtm.store.sqlite import SqliteStore

__all__ = ["Handler", "Node"]

log = logging.getLogger("openrtm.node")

Handler = Callable[[Session, Any], None]

_ONLINE = PeerOnlineState.ONLINE.value
_UNREACHABLE = PeerOnlineState.UNREACHABLE.value
_OFFLINE = PeerOnlineState.OFFLINE.value


class Node:
    """One openrtm server process.

    Args:
        config: the server configuration.
        broker: the engine's broker; the memory broker by default.
        presence: the engine's presence registry; the memory one by default.
        store: the durable store; SQLite in ``config.data_dir`` by default.
    """

    # The shared timer facility, set by start(). A plain attribute, not a property that
    # checks for a start: it is read for every message, and a property is a Python call
    # (about 800 instructions, docs/benchmarks.md, Findings).
    timers: Timers

    def __init__(
        self,
        config: ServerConfig,
        *,
        broker: Broker | None = None,
        presence: Presence | None = None,
        store: Store | None = None,
    ) -> None:
        self.config = config
        self.auth = Authenticator(config.apps)
        self.broker: Broker = broker if broker is not None else MemoryBroker()
        self.hub = Hub(self.broker)
        self.presence: Presence = presence if presence is not None else MemoryPresence()
        self.store: Store = store if store is not None else SqliteStore(config.store_path)
        self._tasks: set[asyncio.Task[None]] = set()
        self._detached: set[Session] = set()
        self._idle = asyncio.Event()
        self.ready = False
        """True while the store is open (``GET /readyz``)."""
        self.readiness: Callable[[], Awaitable[bool]] | None = None
        """Whether the shared backends (Redis) answer now, for ``GET /readyz``; set by the
        runner (:meth:`~openrtm.server.backends.Backends.ready`). None: nothing to check."""
        self.http_port: int | None = None
        """The HTTP face's bound port, told to SDKs at login; set by the runner."""
        self.ws_port: int | None = None
        """The WebSocket endpoint's bound port, told to browser SDKs; set by the runner."""
        self.slow_consumer_kicks = 0
        """Connections cut because they did not read their frames (set by the gateway)."""
        # Peer-message pushes made by sessions that have ended; the live ones keep their own
        # count (Session.last_delivery), read when GET /metrics is scraped: nothing is added
        # to the message path for it.
        self._ended_deliveries = 0
        self.login = LoginService(self)
        self.peers = PeerService(self)
        self.channels = ChannelService(self)
        self.presence_service = PresenceService(self)
        self.attributes = AttributeService(self)
        self.invitations = InvitationService(self)
        self.history = HistoryQueries(
            self.store,
            handle_ttl=config.history_handle_ttl,
            max_handles_per_app=config.history_max_handles_per_app,
            rate=config.history_rate,
            shared=config.clustered,
        )
        """The REST history API's queries and counts (spec §7.4)."""
        self.media = MediaService(self)
        """Media objects and their counters ``bytes_in`` / ``bytes_out`` (read by metrics)."""
        self.handover = Handovers(self)
        """Resumes of sessions held by another node (docs/protocol.md §3.2)."""
        self.handlers: dict[type[ClientMessage], Handler] = {
            **self.login.handlers(),
            **self.peers.handlers(),
            **self.channels.handlers(),
            **self.presence_service.handlers(),
            **self.attributes.handlers(),
            **self.invitations.handlers(),
        }
        # What an engine event addressed to a local user does, by event type.
        self._user_event_handlers: dict[type[UserEvent], Handler] = {
            PeerMessageEvent: self.peers.push,
            PeerDelivered: self.peers.delivered,
            InboxChanged: lambda session, _: self.spawn(self.peers.replay_inbox(session)),
            CallEvent: self.invitations.on_event,
            SessionClaimed: self._claimed,
            HandoverAsked: self.handover.asked,
        }
        missing = set(REQUEST_TYPES.values()) - set(self.handlers)
        if missing:
            # Every operation of the protocol must have exactly one owner.
            raise RuntimeError(f"no handler for {sorted(t.__name__ for t in missing)}")

    async def start(self) -> None:
        """Open the store, start the engine and the timers."""
        self.timers = Timers(asyncio.get_running_loop(), self.config.timer_resolution)
        await self.store.open()
        self.ready = True
        await self.broker.start(self)
        self._purge_inbox()
        await self.media.start()
        self.timers.call_later(self.config.keepalive_interval, self._sweep)
        for app_id, channel in await self.store.channels_with_attributes():
            self.channels.expire_attributes_when_empty(app_id, channel)

    def _sweep(self) -> None:
        # Liveness without a timer per connection (design §6): one pass over all of them,
        # reading a flag the gateway sets on every frame.
        misses = self.config.keepalive_misses
        for session in list(self.hub.connections):
            transport = session.transport
            if session.seen or transport is None:
                session.seen = False
                session.missed = 0
                continue
            session.missed += 1
            if session.missed >= misses:
                # Dropped as a lost link: a logged-in session waits for a resume (§3.3).
                log.info("dropping a dead connection: %r", session)
                transport.abort()
            elif session.missed == 1:
                transport.ping()
        self.timers.call_later(self.config.keepalive_interval, self._sweep)

    def _purge_inbox(self) -> None:
        # Spec §6.2: stored messages live 7 days; reads skip older ones, this reclaims them.
        # The history archive (spec §6.3) is kept for the configured retention.
        now = now_ms()
        self.store.purge_expired(now)
        retention = self.config.history_retention
        if retention > 0:
            self.store.purge_history(now - int(retention * 1000))
        self.timers.call_later(self.config.inbox_purge_interval, self._purge_inbox)

    async def stop(self) -> None:
        """Close every connection with GOING_AWAY, then the engine and the store.

        Nothing acknowledged is lost: the store commits everything enqueued before closing.
        """
        self.ready = False
        for session in list(self._detached):
            self.end_session(session)
        for session in list(self.hub.connections):
            session.close(CloseCode.GOING_AWAY, "server shutting down")
        if self.hub.connections:
            self._idle.clear()
            try:
                await asyncio.wait_for(self._idle.wait(), self.config.shutdown_timeout)
            except TimeoutError:
                log.warning("%d connections did not close in time", len(self.hub.connections))
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.history.close()
        await self.broker.close()
        await self.store.close()
        timers = getattr(self, "timers", None)  # None if never started
        if timers is not None:
            timers.close()

    # --- connections -----------------------------------------------------------------------

    def connect(self, transport: Transport) -> Session:
        """Create the session of a new connection; it must log in within the login timeout."""
        session = Session(self, transport)
        self.hub.connections.add(session)
        session.login_timer = self.timers.call_later(
            self.config.login_timeout, lambda: self._login_deadline(session)
        )
        return session

    def disconnected(self, session: Session) -> None:
        """Forget a connection whose link is gone; a logged-in session waits for a resume."""
        self.hub.connections.discard(session)
        if session.logged_in and self.config.session_grace > 0:
            self._detach(session)
        else:
            self.end_session(session)
        if not self.hub.connections:
            self._idle.set()

    # --- lost links (spec §3.3) ------------------------------------------------------------

    def _detach(self, session: Session) -> None:
        # The link is gone but the session stays: memberships, presence, attributes. Followers
        # hear UNREACHABLE after a while; after the grace period the user is dropped.
        session.fire(SessionEvent.LINK_LOST)
        session.transport = None
        session.keep_missed_pushes()
        self._detached.add(session)
        session.link_timer = self.timers.call_later(
            min(self.config.unreachable_after, self.config.session_grace),
            lambda: self._unreachable(session),
        )

    def _unreachable(self, session: Session) -> None:
        if session.state is not DETACHED:
            return
        if not session.unreachable:
            session.unreachable = True
            self.broker.publish_presence(session.app_id, session.uid, _UNREACHABLE)
        rest = max(0.0, self.config.session_grace - self.config.unreachable_after)
        session.link_timer = self.timers.call_later(rest, lambda: self._grace_over(session))

    def _grace_over(self, session: Session) -> None:
        if session.state is DETACHED:
            log.info("grace period over: %r", session)
            self.end_session(session)

    def resume(self, detached: Session, fresh: Session) -> None:
        """Give ``detached`` the connection of ``fresh``, which logged in to resume it."""
        transport = fresh.transport
        assert transport is not None
        if detached.state is LOGGED_IN:
            # The client knows its link is gone before the keepalive sweep does: the same
            # session (same credentials, same session id) takes its place. The old connection
            # is pointed at the throwaway session, so that its end changes nothing.
            old = detached.transport
            detached.fire(SessionEvent.LINK_LOST)
            detached.transport = None
            self.hub.connections.discard(detached)
            if old is not None:
                old.attach(fresh)
                old.abort()
        self.hub.connections.discard(fresh)
        self.end_session(fresh)  # never logged in: nothing to undo but its login timer
        fresh.transport = None
        transport.attach(detached)
        detached.transport = transport
        detached.fire(SessionEvent.RESUME)
        self._detached.discard(detached)
        self.hub.connections.add(detached)
        detached.seen, detached.missed = True, 0
        if detached.link_timer is not None:
            detached.link_timer.cancel()
            detached.link_timer = None
        if detached.unreachable:
            detached.unreachable = False
            self.broker.publish_presence(detached.app_id, detached.uid, _ONLINE)

    def adopt_detached(self, session: Session) -> None:
        """Keep ``session``, handed over by another node, as detached here until resumed.

        It ends after the grace period if the login that asked for it is gone meanwhile.
        """
        self._detached.add(session)
        session.link_timer = self.timers.call_later(
            self.config.session_grace, lambda: self._grace_over(session)
        )

    def drop_handed_over(self, session: Session) -> None:
        """Forget ``session``, handed over to another node, without a word to anyone.

        Unlike :meth:`end_session`: no MemberLeft, no OFFLINE, no Logout event, nothing
        stored from its unacknowledged messages (the other node has them); only this node's
        interest goes. Invitations in progress fail as on a lost session.
        """
        if not session.fire(SessionEvent.CLOSE):
            return
        self._ended_deliveries += session.last_delivery
        self._detached.discard(session)
        for timer in (session.login_timer, session.token_timer, session.link_timer):
            if timer is not None:
                timer.cancel()
        session.login_timer = session.token_timer = session.link_timer = None
        session.inflight.clear()
        session.backlog = session.missed_messages = None
        self.invitations.session_ended(session)
        for channel in list(session.channels):
            if session.channels.pop(channel) > 0:  # a join under way undoes itself
                self.hub.remove_member(session, channel)
        for uid in list(session.following):
            self.presence_service.unfollow(session, uid)
        self.hub.remove_user(session)

    def peer_deliveries(self) -> int:
        """How many peer-message pushes this node has made, offline replays included.

        For ``GET /metrics``: the sessions that have ended, plus every session that has not
        (connected, or detached within its grace), each of which numbers its pushes.
        """
        live = sum(
            session.last_delivery
            for session in {*self.hub.connections, *self._detached}
            if session.state is not CLOSED  # counted by end_session already
        )
        return self._ended_deliveries + live

    def _login_deadline(self, session: Session) -> None:
        if not session.logged_in:
            session.close(CloseCode.LOGIN_TIMEOUT, "no login within the login timeout")

    def end_session(self, session: Session) -> None:
        """End ``session`` once: unregister the user and record that it went offline."""
        was_logged_in = session.alive
        if not session.fire(SessionEvent.CLOSE):
            return
        self._ended_deliveries += session.last_delivery
        self._detached.discard(session)
        for timer in (session.login_timer, session.token_timer, session.link_timer):
            if timer is not None:
                timer.cancel()
        session.login_timer = session.token_timer = session.link_timer = None
        if was_logged_in:
            self.invitations.session_ended(session)
            self.peers.session_ended(session)
            for channel in list(session.channels):
                self.channels.remove(session, channel)
            for uid in list(session.following):
                self.presence_service.unfollow(session, uid)
            self.hub.remove_user(session)
            self.store.record_user_event(
                session.app_id, UserEventRecord(uid=session.uid, type="Logout", ms=now_ms())
            )
            self.spawn(
                self._went_offline(
                    session.app_id, session.uid, session.session_id, session.unreachable
                )
            )

    async def _went_offline(
        self, app_id: str, uid: str, session_id: str, was_unreachable: bool
    ) -> None:
        # A session replaced by a newer login of the same user is not the user going offline;
        # followers told it was UNREACHABLE hear that it is ONLINE again.
        try:
            offline = await self.presence.remove_session(app_id, uid, session_id)
        except EngineUnavailable as exc:
            # The engine removes it when it is reachable again, and announces it then.
            log.warning("could not record a logout: %s", exc)
            return
        if offline:
            self.broker.publish_presence(app_id, uid, _OFFLINE)
        elif was_unreachable:
            self.broker.publish_presence(app_id, uid, _ONLINE)

    def archive(
        self,
        app_id: str,
        src: str,
        dst: str,
        dst_kind: HistoryDestinationKind,
        msg: Message,
        ts: int,
    ) -> asyncio.Future[None] | None:
        """Archive a message sent with ``history`` for the REST history API (spec §6.3).

        Only text messages are archived; the others are silently not (as Agora does), and
        None is returned. Otherwise the write is under way at once (the message is routed
        meanwhile), and the future says when it is committed: the sender's reply waits for
        it (issue #15: nothing acknowledged is lost across a node's kill -9). Only messages
        with ``history`` come here, so the message path of the others is unchanged.
        """
        if msg.type is not MessageType.TEXT:
            return None
        record = HistoryRecord(src=src, dst=dst, dst_kind=dst_kind, payload=msg.text, ts=ts)
        return asyncio.ensure_future(self.store.put_history(app_id, record))

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` in the background, keeping a reference and logging its failure."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task failed", exc_info=task.exception())

    # --- engine handler ----------------------------------------------------------------------

    def on_user_event(self, app_id: str, uid: str, event: UserEvent) -> bool:
        """Deliver an engine event to the local session of (``app_id``, ``uid``), if any."""
        session = self.hub.user(app_id, uid)
        if session is None:
            # A receipt for a sender with no session here: a REST sender waiting for it
            # (wait_for_ack, spec §7.2) listens to its uid only while it waits.
            kind = type(event)
            if kind is PeerDelivered:
                return self.peers.settle_receipt(event)  # type: ignore[arg-type]
            # A resume on this node of a session another node held (docs/protocol.md §3.2).
            return kind is HandedOver and self.handover.answered(app_id, uid, event)  # type: ignore[arg-type]
        state = session.state  # Session.alive, spelt out: this runs for every message
        if state is not LOGGED_IN and state is not DETACHED:
            return False
        handler = self._user_event_handlers.get(type(event))
        if handler is not None:
            handler(session, event)
        return True

    def _claimed(self, session: Session, event: SessionClaimed) -> None:
        if session.session_id != event.session_id:
            # Spec §6.11: the older session is kicked (ABORTED, REMOTE_LOGIN).
            session.close(CloseCode.REMOTE_LOGIN, "logged in from another connection")

    def on_presence(self, app_id: str, uid: str, state: str) -> None:
        """Tell this node's followers of ``uid`` its new state (ONLINE, UNREACHABLE, OFFLINE)."""
        self.presence_service.on_presence(app_id, uid, state)

    def on_channel_event(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        """Deliver an engine event to this node's members of ``channel``."""
        self.channels.on_event(app_id, channel, event)
