"""Peer-to-peer messages with end-to-end receipts and the offline inbox (spec §6.1, §6.2).

A message goes to its receiver through the broker. The receiver's node pushes it with a
delivery number; the receiving SDK acks that number, and only then does the sender's reply
say ``received: true`` (design §3). A receiver that is offline gets nothing, unless the sender
asked for offline messaging: then the message is committed to the store *before* the sender's
reply, and replayed, in send order and ahead of live messages, at the receiver's next login.
A stored message leaves the inbox only when the client acks it, so a client that drops during
the replay gets it again (it de-duplicates by ``mid``).
"""

from __future__ import annotations

import asyncio
import logging
import math
from typing import TYPE_CHECKING, Any, Protocol

import msgspec

from openrtm.engines.base import InboxChanged, PeerDelivered, PeerMessageEvent
from openrtm.protocol.codec import encode
from openrtm.protocol.codes import PeerMessageError
from openrtm.protocol.limits import is_valid_user_id, peer_message_error
from openrtm.protocol.messages import (
    Ack,
    ClientMessage,
    Message,
    PeerMessagePush,
    PeerMessageResult,
    SendPeerMessage,
)
from openrtm.server.session import LOGGED_IN
from openrtm.server.timers import now_ms
from openrtm.store.base import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable
    from enum import IntEnum

    from openrtm.server.node import Node
    from openrtm.server.session import Session
    from openrtm.server.timers import Timer

__all__ = ["PeerSender", "PeerService"]

log = logging.getLogger("openrtm.peers")

_RECEIVED = PeerMessageResult(received=True)
_NOT_RECEIVED = PeerMessageResult(received=False)
_CACHED = PeerMessageResult(received=False, cached=True)
_message_decoder = msgspec.json.Decoder(Message)


class PeerSender(Protocol):
    """Who hears the outcome of a peer message: a :class:`Session`, or a REST request.

    The REST API (spec §7.2) sends as a user who need not be logged in: its handler passes an
    object with this shape, and the routing, receipts and offline storage below serve it as
    they serve an SDK's session.
    """

    session_id: str
    app_id: str
    uid: str

    def reply(self, request_id: int, result: Any = None) -> None:
        """The outcome: a :class:`PeerMessageResult`."""

    def refuse(self, request_id: int | None, code: IntEnum, message: str) -> None:
        """The message could not be handled (the offline store failed)."""


class _Pending(msgspec.Struct):
    """A sent peer message awaiting its receipt."""

    service: PeerService
    key: tuple[str, int]
    session: PeerSender
    request: SendPeerMessage
    ts: int
    deadline: float = math.inf  # the loop time its receipt is due by, once delivered
    # The archive write of a message sent with history (Node.archive): its reply waits for
    # it (issue #15). None for every other message.
    archived: asyncio.Future[None] | None = None

    def routed(self, delivered: bool) -> None:
        """The broker's answer: whether some node had a session to push the message to."""
        # A bound method of the message rather than a partial of the service's: cheaper to
        # make for every message.
        self.service.routed(self, delivered)


class PeerService:
    """Owns ``peer_msg`` and ``ack``, and the replay of stored messages at login."""

    def __init__(self, node: Node) -> None:
        self._node = node
        # Messages awaiting their receipt, in the order they were sent. With one timeout for
        # all, that is the order of their deadlines too: one timer sweeps the due ones from
        # the front, rather than a timer per message, which cost a tenth of a round trip
        # (docs/benchmarks.md, Findings); and what waits is only what is unsettled.
        self._pending: dict[tuple[str, int], _Pending] = {}
        self._sweep_timer: Timer | None = None
        # What GET /metrics reports (server/http/metrics.py reads them when scraped): plain
        # ints, because a prometheus Counter.inc() per message is a lock and several calls.
        self.sent = 0
        """Peer messages accepted from this node's sessions and its REST API."""
        self.stored = 0
        """Messages committed to an offline inbox (spec §6.2)."""
        self.replayed = 0
        """Stored messages pushed to their receiver at or after its login."""
        self.receipts_timed_out = 0
        """Sent messages answered ``received: false`` because no receipt came in time."""

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The frames this service answers."""
        return {SendPeerMessage: self.send, Ack: self.ack}

    # --- sender side ---------------------------------------------------------------------

    def send(self, session: Session, request: SendPeerMessage) -> None:
        """Route a peer message; the reply waits for the receiver's ack (spec §6.1)."""
        if not is_valid_user_id(request.to):
            session.refuse(request.id, PeerMessageError.INVALID_USERID, "invalid peer id")
            return
        problem = peer_message_error(request.msg)
        if problem is not None:
            session.refuse(request.id, PeerMessageError.INVALID_MESSAGE, problem)
            return
        if not session.within_message_budget():
            session.refuse(request.id, PeerMessageError.TOO_OFTEN, "over the message budget")
            return
        self.sent += 1
        ts = now_ms()
        key = (session.session_id, request.id)
        pending = self._pending[key] = _Pending(self, key, session, request, ts)
        if request.history:
            pending.archived = self._node.archive(
                session.app_id, session.uid, request.to, "user", request.msg, ts
            )
        event = PeerMessageEvent(
            sender=session.uid,
            sender_session=session.session_id,
            request_id=request.id,
            mid=request.mid,
            msg=request.msg,
            ts=ts,
            offline=request.offline,
        )
        self._node.broker.publish_user(session.app_id, request.to, event, pending.routed)

    def send_as(
        self, sender: PeerSender, request: SendPeerMessage, on_routed: Callable[[bool], None]
    ) -> asyncio.Future[None] | None:
        """Route a peer message from a sender that is not an SDK session (REST, spec §7.2).

        The caller has validated the message and applied its own rate limit; from here on
        it is :meth:`send` without the session's checks. (A copy of :meth:`send`'s tail
        rather than a shared helper: one more call on every SDK message is measurable.)
        ``on_routed`` hears the broker's answer too, after the service: whether a session of
        the receiver took the message (the REST API's ``message_sent`` without waiting for
        the receipt). Returns the archive write of a message with ``history``
        (:meth:`Node.archive`): an answer that does not wait for the outcome awaits it.
        """
        self.sent += 1
        ts = now_ms()
        key = (sender.session_id, request.id)
        pending = self._pending[key] = _Pending(self, key, sender, request, ts)
        if request.history:
            pending.archived = self._node.archive(
                sender.app_id, sender.uid, request.to, "user", request.msg, ts
            )
        event = PeerMessageEvent(
            sender=sender.uid,
            sender_session=sender.session_id,
            request_id=request.id,
            mid=request.mid,
            msg=request.msg,
            ts=ts,
            offline=request.offline,
        )

        def routed(delivered: bool) -> None:
            pending.routed(delivered)
            on_routed(delivered)

        self._node.broker.publish_user(sender.app_id, request.to, event, routed)
        return pending.archived

    def routed(self, pending: _Pending, delivered: bool) -> None:
        """Arm the receipt deadline of a pushed message; answer one that nobody took."""
        key = pending.key
        if self._pending.get(key) is not pending:
            return  # the receipt came first
        if delivered:
            # A receiver that never acks must not hang the sender (issue #3).
            timers = self._node.timers
            pending.deadline = timers.now() + self._node.config.peer_ack_timeout
            if self._sweep_timer is None:
                self._sweep_timer = timers.call_later(
                    self._node.config.peer_ack_timeout, self._sweep_deadlines
                )
            return
        del self._pending[key]
        if pending.request.offline:
            self._node.spawn(self._store_offline(pending, pending.ts))
        elif pending.archived is not None:
            self._node.spawn(self._reply_archived(pending, _NOT_RECEIVED))
        else:
            pending.session.reply(pending.request.id, _NOT_RECEIVED)

    def _sweep_deadlines(self) -> None:
        """Answer ``received: false`` for every message whose receipt is overdue."""
        timers = self._node.timers
        now = timers.now()
        due: list[tuple[str, int]] = []
        next_deadline = math.inf
        for key, pending in self._pending.items():
            if pending.deadline <= now:
                due.append(key)
            elif pending.deadline < math.inf:
                next_deadline = pending.deadline
                break
            # else: not routed yet (a remote broker); its routing arms the sweep if need be.
        for key in due:
            self._settle(key, _NOT_RECEIVED)
        self.receipts_timed_out += len(due)
        self._sweep_timer = (
            timers.call_later(next_deadline - now, self._sweep_deadlines)
            if next_deadline < math.inf
            else None
        )

    async def _store_offline(self, pending: _Pending, ts: int) -> None:
        session, request = pending.session, pending.request
        try:
            await self._node.store.inbox_put(
                session.app_id, request.to, session.uid, request.mid, encode(request.msg), ts
            )
        except Exception:
            log.exception("could not store an offline message")
            session.refuse(request.id, PeerMessageError.FAILURE, "could not store the message")
            return
        # Committed: only now may the sender hear that the server has it (spec §6.2).
        self.stored += 1
        if pending.archived is not None:
            await self._reply_archived(pending, _CACHED)
        else:
            session.reply(request.id, _CACHED)
        # The receiver may have logged in while this was being stored, after its login read
        # the inbox: if it is online now, its node delivers what is stored.
        self._node.broker.publish_user(session.app_id, request.to, InboxChanged())

    def delivered(self, session: Session, receipt: PeerDelivered) -> None:
        """The receiver acked a message sent from this node: tell the sender it was received.

        Routed to the sender's uid, it may reach that uid's SDK session while the sender was
        a REST request acting as the uid: the receipt names its sender's session, whichever.
        """
        self._settle((receipt.session_id, receipt.request_id), _RECEIVED)

    def settle_receipt(self, receipt: PeerDelivered) -> bool:
        """A receipt with no local session of its uid: whether a sender here was waiting."""
        return self._settle((receipt.session_id, receipt.request_id), _RECEIVED)

    def _settle(self, key: tuple[str, int], result: PeerMessageResult) -> bool:
        """Answer the sender of ``key`` with ``result``; False if it is not pending here."""
        pending = self._pending.pop(key, None)
        if pending is None:
            return False
        if pending.archived is not None:
            self._node.spawn(self._reply_archived(pending, result))
            return True
        pending.session.reply(pending.request.id, result)
        return True

    async def _reply_archived(self, pending: _Pending, result: PeerMessageResult) -> None:
        """Answer a message sent with history once its archive record is committed."""
        assert pending.archived is not None
        try:
            await pending.archived
        except StoreError as exc:
            log.warning("peer message not archived: %s", exc)
            pending.session.refuse(
                pending.request.id, PeerMessageError.FAILURE, "could not archive the message"
            )
            return
        pending.session.reply(pending.request.id, result)

    # --- receiver side -------------------------------------------------------------------

    def push(self, session: Session, event: PeerMessageEvent) -> None:
        """Push a live message to its receiver; its ack goes back to the sender."""
        push = PeerMessagePush(sender=event.sender, mid=event.mid, msg=event.msg, ts=event.ts, d=0)
        dropped = session.deliver(event, push)
        if dropped is None:
            # The usual case, and a cheap test: isinstance() of an object that is not an
            # instance looks up __instancecheck__ (about 700 instructions).
            return
        if isinstance(dropped, PeerMessageEvent) and dropped.offline:
            # Let go unacknowledged (Session.UNACKED_KEPT): keep it as if it were never
            # received, for the next login (not replayed on this connection, which had it).
            self._node.spawn(self._store_unacked(session.app_id, session.uid, [dropped], False))

    def ack(self, session: Session, frame: Ack) -> None:
        """Settle delivery ``frame.d``: a receipt to the sender, or an inbox removal."""
        if session.state is not LOGGED_IN:
            return
        entry = session.inflight.pop(frame.d, (None, b""))[0]
        if isinstance(entry, PeerMessageEvent):
            # Sent from this node: settle it here, rather than route a receipt to the
            # sender's user and back (a tenth of a round trip's Python).
            if self._settle((entry.sender_session, entry.request_id), _RECEIVED):
                return
            receipt = PeerDelivered(session_id=entry.sender_session, request_id=entry.request_id)
            self._node.broker.publish_user(session.app_id, entry.sender, receipt)
        elif isinstance(entry, int):
            self._node.store.inbox_ack(session.app_id, session.uid, entry)

    def session_ended(self, session: Session) -> None:
        """Store what ``session`` was pushed but never acknowledged, if offline-enabled.

        A message pushed to a session whose link then died, and that never came back within
        its grace, was not received: with offline messaging it goes to the inbox like a
        message for an offline user (spec §6.2), so nothing the sender asked to keep is lost.
        (Its sender heard ``received: false`` at the receipt timeout already.)
        """
        unacked = [
            entry
            for entry, _ in session.inflight.values()
            if isinstance(entry, PeerMessageEvent) and entry.offline
        ]
        if unacked:
            self._node.spawn(self._store_unacked(session.app_id, session.uid, unacked, True))

    async def _store_unacked(
        self, app_id: str, uid: str, events: list[PeerMessageEvent], replay: bool
    ) -> None:
        store = self._node.store
        results = await asyncio.gather(
            *(store.inbox_put(app_id, uid, e.sender, e.mid, encode(e.msg), e.ts) for e in events),
            return_exceptions=True,
        )
        failed = sum(isinstance(r, BaseException) for r in results)
        self.stored += len(events) - failed
        if failed:
            log.error("could not store %d unacknowledged offline messages", failed)
        if replay:
            # The user may be logged in again already, its inbox read: let its node replay.
            self._node.broker.publish_user(app_id, uid, InboxChanged())

    async def replay_inbox(self, session: Session) -> None:
        """Push the messages stored while ``session``'s user was offline, oldest first.

        Runs at login and again on :class:`InboxChanged`; replays never overlap, and a stored
        message is pushed once per connection (its ack removes it from the store).
        """
        if session.held is not None:
            session.replay_again = True  # the running replay goes round once more
            return
        session.replay_again = True
        while session.replay_again and session.logged_in:
            session.replay_again = False
            await self._replay_once(session)

    async def _replay_once(self, session: Session) -> None:
        session.held = []
        try:
            entries = await self._node.store.inbox_peek(session.app_id, session.uid, now_ms())
        except StoreError as exc:
            # Redis unreachable (issue #15): the messages stay stored, replayed at the next
            # login or InboxChanged; what was held meanwhile still goes out below.
            log.warning("offline messages not replayed now: %s", exc)
            entries = []
        finally:
            held, session.held = session.held, None
        for entry in entries:
            if entry.seq <= session.inbox_seq:
                continue  # pushed already, its ack not yet in
            session.inbox_seq = entry.seq
            try:
                msg = _message_decoder.decode(entry.payload)
            except msgspec.DecodeError:
                log.error("dropping an unreadable stored message")
                self._node.store.inbox_ack(session.app_id, session.uid, entry.seq)
                continue
            push = PeerMessagePush(
                sender=entry.sender, mid=entry.mid, msg=msg, ts=entry.ts, d=0, offline=True
            )
            session.deliver(entry.seq, push)
            self.replayed += 1
        for data in held or ():
            session.write(data)
