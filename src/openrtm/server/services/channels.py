"""Channels: join, leave, messages, members and member counts (spec §1.4, §6.4, §6.8).

Membership is announced through the engine: Presence keeps the members of every channel and
the broker carries joins, leaves and messages to every node with members there. Each node
fans a channel message out to its own members by encoding the push once and writing the same
bytes to each of them (design §6). ``member_count`` pushes are coalesced per channel to one a
second, one every three seconds above 512 members, by the node's shared timers.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from typing import TYPE_CHECKING, Any

from openrtm.engines.base import (
    AttributesChanged,
    ChannelEvent,
    ChannelMessageEvent,
    EngineUnavailable,
    MemberJoined,
    MemberLeft,
)
from openrtm.protocol.attributes import ChannelAttributesPush
from openrtm.protocol.codec import encode
from openrtm.protocol.codes import (
    ChannelMessageError,
    GetMembersError,
    JoinChannelError,
    LeaveChannelError,
)
from openrtm.protocol.limits import (
    GET_MEMBERS_RATE,
    JOIN_RATE,
    JOIN_SAME_CHANNEL_RATE,
    MAX_JOINED_CHANNELS,
    MAX_MEMBER_EVENTS_CHANNEL_SIZE,
    is_valid_channel_id,
    message_error,
)
from openrtm.protocol.messages import (
    ChannelMessagePush,
    ClientMessage,
    GetMembers,
    GetMembersResult,
    JoinChannel,
    LeaveChannel,
    MemberCountPush,
    MemberJoinedPush,
    MemberLeftPush,
    Message,
    SendChannelMessage,
)
from openrtm.server.timers import now_ms
from openrtm.store.base import ChannelEventRecord, StoreError

if TYPE_CHECKING:
    from collections.abc import Callable

    from openrtm.server.hub import LocalChannel
    from openrtm.server.node import Node
    from openrtm.server.session import Session
    from openrtm.server.timers import Timer

__all__ = ["ChannelService"]

log = logging.getLogger("openrtm.channels")

_UNAVAILABLE = "server unavailable, try again"


class ChannelService:
    """Owns ``join``, ``leave``, ``channel_msg`` and ``get_members``."""

    def __init__(self, node: Node) -> None:
        self._node = node
        self._join_markers = itertools.count(1)
        self._expiries: dict[tuple[str, str], Timer] = {}
        # What GET /metrics reports (server/http/metrics.py reads them when scraped): plain
        # ints, because a prometheus Counter.inc() per message is a lock and several calls.
        self.sent = 0
        """Channel messages accepted from this node's sessions and its REST API."""
        self.delivered = 0
        """Channel-message frames written to this node's members (one per member reached)."""

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The requests this service answers."""
        return {
            JoinChannel: self.join,
            LeaveChannel: self.leave,
            SendChannelMessage: self.send,
            GetMembers: self.get_members,
        }

    # --- requests --------------------------------------------------------------------------

    def join(self, session: Session, request: JoinChannel) -> None:
        """Join a channel; the joiner then gets the member count, the others MemberJoined."""
        channel = request.channel
        if not is_valid_channel_id(channel):
            session.refuse(request.id, JoinChannelError.INVALID_ARGUMENT, "invalid channel id")
        elif channel in session.channels:
            session.refuse(request.id, JoinChannelError.ALREADY_JOINED, "already joined")
        elif len(session.channels) >= MAX_JOINED_CHANNELS:
            session.refuse(
                request.id, JoinChannelError.EXCEED_LIMIT, "already in 20 channels (spec §5.5)"
            )
        else:
            self._join_within_limits(session, request)

    def _join_within_limits(self, session: Session, request: JoinChannel) -> None:
        channel = request.channel
        refused = session.within(
            (JoinChannel, JOIN_RATE), ((JoinChannel, channel), JOIN_SAME_CHANNEL_RATE)
        )
        if refused == 0:
            session.refuse(request.id, JoinChannelError.TOO_OFTEN, "more than 50 joins in 3 s")
        elif refused == 1:
            session.refuse(
                request.id,
                JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN,
                "joined this channel twice in the last 5 s",
            )
        else:
            # Taken at once, so that a second join of the same channel is refused meanwhile.
            # A negative marker, unique to this join, stands until the member count comes (at
            # least 1 once joined): a join that was left and joined again sees it replaced.
            marker = -next(self._join_markers)
            session.channels[channel] = marker
            self._node.spawn(self._join(session, request, marker))

    async def _join(self, session: Session, request: JoinChannel, marker: int) -> None:
        node, channel = self._node, request.channel
        try:
            count = await node.presence.join_channel(session.app_id, channel, session.uid)
        except EngineUnavailable as exc:
            # Redis down or slow (issue #15): a clear failure, not a hang (protocol §4).
            log.warning("join failed: %s", exc)
            if session.channels.get(channel) == marker:
                del session.channels[channel]
            session.refuse(request.id, JoinChannelError.FAILURE, _UNAVAILABLE)
            return
        if not session.logged_in or session.channels.get(channel) != marker:
            # Left (or gone) while joining: nobody heard of the join, so undo it quietly. The
            # join is still answered: it happened, and the leave that followed undid it.
            try:
                await node.presence.leave_channel(session.app_id, channel, session.uid)
            except EngineUnavailable as exc:
                log.warning("could not undo a join: %s", exc)  # the engine retries it
            session.reply(request.id)
            return
        node.hub.add_member(session, channel)
        self._keep_attributes(session.app_id, channel)
        node.broker.publish_channel(
            session.app_id, channel, MemberJoined(uid=session.uid, count=count)
        )
        node.store.record_channel_event(
            session.app_id,
            ChannelEventRecord(channel_id=channel, uid=session.uid, type="Join", ms=now_ms()),
        )
        session.reply(request.id)
        # Spec §6.8: the joiner hears the member count right after joining.
        session.channels[channel] = count
        session.send(MemberCountPush(channel=channel, count=count))

    def leave(self, session: Session, request: LeaveChannel) -> None:
        """Leave a joined channel; the other members get MemberLeft."""
        if request.channel not in session.channels:
            session.refuse(request.id, LeaveChannelError.NOT_IN_CHANNEL, "not in this channel")
            return
        self.remove(session, request.channel)
        session.reply(request.id)

    def remove(self, session: Session, channel: str) -> None:
        """Take ``session`` out of ``channel`` (leave, logout, kick, link lost)."""
        if session.channels.pop(channel) <= 0:
            return  # still joining: the join sees its marker gone and undoes itself
        self._node.hub.remove_member(session, channel)
        self._node.spawn(self._announce_leave(session.app_id, session.uid, channel))

    async def _announce_leave(self, app_id: str, uid: str, channel: str) -> None:
        node = self._node
        try:
            count = await node.presence.leave_channel(app_id, channel, uid)
        except EngineUnavailable as exc:
            # The engine removes the member when it is reachable again, and announces it then.
            log.warning("could not record a leave: %s", exc)
            return
        node.broker.publish_channel(app_id, channel, MemberLeft(uid=uid, count=count))
        if count == 0:
            self.expire_attributes_when_empty(app_id, channel, emptied=True)
        node.store.record_channel_event(
            app_id, ChannelEventRecord(channel_id=channel, uid=uid, type="Leave", ms=now_ms())
        )

    def send(self, session: Session, request: SendChannelMessage) -> None:
        """Send a message to the other members of a joined channel (spec §6.4)."""
        if not self._joined(session, request):
            session.refuse(request.id, ChannelMessageError.NOT_IN_CHANNEL, "not in this channel")
            return
        problem = message_error(request.msg)
        if problem is not None:
            session.refuse(request.id, ChannelMessageError.INVALID_MESSAGE, problem)
            return
        if not session.within_message_budget():
            session.refuse(request.id, ChannelMessageError.TOO_OFTEN, "over the message budget")
            return
        self.sent += 1
        ts = now_ms()
        event = ChannelMessageEvent(sender=session.uid, mid=request.mid, msg=request.msg, ts=ts)
        if request.history:
            archived = self._node.archive(
                session.app_id, session.uid, request.channel, "channel", request.msg, ts
            )
            if archived is not None:
                self._node.broker.publish_channel(session.app_id, request.channel, event)
                self._node.spawn(self._reply_archived(session, request.id, archived))
                return
        self._node.broker.publish_channel(session.app_id, request.channel, event)
        session.reply(request.id)

    async def _reply_archived(
        self, session: Session, request_id: int, archived: asyncio.Future[None]
    ) -> None:
        # Issue #15: the reply of a message sent with history waits for its archive record.
        try:
            await archived
        except StoreError as exc:
            log.warning("channel message not archived: %s", exc)
            session.refuse(request_id, ChannelMessageError.FAILURE, "could not archive the message")
            return
        session.reply(request_id)

    def send_as(
        self, app_id: str, uid: str, channel: str, mid: str, msg: Message, history: bool
    ) -> asyncio.Future[None] | None:
        """Send a message to ``channel`` as ``uid``, who need not log in or join (REST, §7.3).

        The caller has validated the ids and the message and applied its own rate limit.
        Every member but ``uid`` hears it, as if ``uid`` had sent it from an SDK. Returns
        the archive write of a message with ``history`` (see :meth:`Node.archive`), which
        the caller awaits before answering.
        """
        self.sent += 1
        ts = now_ms()
        archived = self._node.archive(app_id, uid, channel, "channel", msg, ts) if history else None
        event = ChannelMessageEvent(sender=uid, mid=mid, msg=msg, ts=ts)
        self._node.broker.publish_channel(app_id, channel, event)
        return archived

    def _joined(self, session: Session, request: SendChannelMessage) -> bool:
        local = self._node.hub.channel(session.app_id, request.channel)
        return local is not None and local.members.get(session.uid) is session

    def get_members(self, session: Session, request: GetMembers) -> None:
        """List up to 512 members of a joined channel, the caller included (spec §6.8)."""
        if request.channel not in session.channels:
            session.refuse(request.id, GetMembersError.NOT_IN_CHANNEL, "not in this channel")
        elif session.within((GetMembers, GET_MEMBERS_RATE)) >= 0:
            session.refuse(request.id, GetMembersError.TOO_OFTEN, "over 5 calls in 2 s")
        else:
            self._node.spawn(self._get_members(session, request))

    async def _get_members(self, session: Session, request: GetMembers) -> None:
        try:
            members = await self._node.presence.channel_members(
                session.app_id, request.channel, MAX_MEMBER_EVENTS_CHANNEL_SIZE
            )
        except EngineUnavailable as exc:
            log.warning("get_members failed: %s", exc)
            session.refuse(request.id, GetMembersError.FAILURE, _UNAVAILABLE)
            return
        session.reply(request.id, GetMembersResult(members=members))

    # --- engine events -----------------------------------------------------------------------

    def on_event(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        """Deliver a channel event to this node's members of ``channel``."""
        local = self._node.hub.channel(app_id, channel)
        if local is None:
            return
        if isinstance(event, ChannelMessageEvent):
            # Encode once, write the same bytes to every member but the sender (design §6).
            data = encode(
                ChannelMessagePush(
                    channel=channel, sender=event.sender, mid=event.mid, msg=event.msg, ts=event.ts
                )
            )
            sender = event.sender
            members = local.members
            # Counted once per fan-out, not once per member: every member but the sender.
            self.delivered += len(members) - (sender in members)
            for uid, member in members.items():
                if uid != sender:
                    member.write_channel_message(data)
        elif isinstance(event, MemberJoined | MemberLeft):
            self._membership_changed(local, channel, event)
        elif isinstance(event, AttributesChanged):
            # Spec §6.7: the complete set, to every member, the writer included.
            data = encode(ChannelAttributesPush(channel=channel, attrs=event.attrs))
            for member in local.members.values():
                member.write(data)

    def expire_attributes_when_empty(
        self, app_id: str, channel: str, *, emptied: bool = False
    ) -> None:
        """Clear ``channel``'s attributes once it has had no members for the ttl (spec §6.7).

        ``emptied``: the channel just lost its last member, so the wait starts again. A join
        cancels the wait. (In a cluster only this node's joins and leaves move it; the count
        checked when it ends keeps a busy channel's attributes either way.)
        """
        key = (app_id, channel)
        pending = self._expiries.get(key)
        if pending is not None:
            if not emptied:
                return
            pending.cancel()
        self._expiries[key] = self._node.timers.call_later(
            self._node.config.channel_attributes_ttl,
            lambda: self._node.spawn(self._expire_attributes(app_id, channel)),
        )

    def _keep_attributes(self, app_id: str, channel: str) -> None:
        pending = self._expiries.pop((app_id, channel), None)
        if pending is not None:
            pending.cancel()

    async def _expire_attributes(self, app_id: str, channel: str) -> None:
        self._expiries.pop((app_id, channel), None)
        try:
            counts = await self._node.presence.channel_counts(app_id, [channel])
        except EngineUnavailable as exc:
            log.warning("channel attributes kept, member count unavailable: %s", exc)
            return
        if counts[channel] == 0:
            await self._node.store.clear_channel_attributes(app_id, channel)

    def _membership_changed(
        self, local: LocalChannel, channel: str, event: MemberJoined | MemberLeft
    ) -> None:
        local.count = event.count
        # Spec §6.8: no join/leave events while the channel is above 512 members; a leave is
        # judged by the size the channel had before it.
        size = event.count if isinstance(event, MemberJoined) else event.count + 1
        if size <= MAX_MEMBER_EVENTS_CHANNEL_SIZE:
            push = (
                MemberJoinedPush(channel=channel, uid=event.uid)
                if isinstance(event, MemberJoined)
                else MemberLeftPush(channel=channel, uid=event.uid)
            )
            data = encode(push)
            for uid, member in local.members.items():
                if uid != event.uid:
                    member.write(data)
        if local.count_timer is None:
            config = self._node.config
            interval = (
                config.member_count_interval
                if local.count <= MAX_MEMBER_EVENTS_CHANNEL_SIZE
                else config.member_count_interval_large
            )
            delay = max(0.0, local.count_pushed_at + interval - self._node.timers.now())
            local.count_timer = self._node.timers.call_later(
                delay, lambda: self._push_count(local, channel)
            )

    def _push_count(self, local: LocalChannel, channel: str) -> None:
        local.count_timer = None
        local.count_pushed_at = self._node.timers.now()
        data = encode(MemberCountPush(channel=channel, count=local.count))
        for member in local.members.values():
            if member.channels.get(channel, local.count) != local.count:
                member.channels[channel] = local.count
                member.write(data)
