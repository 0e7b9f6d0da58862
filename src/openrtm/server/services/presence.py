"""Presence: who is online, subscriptions to it, and channel member counts (spec §6.9, §6.8).

Following is indexed in reverse (the Hub maps each user to its local followers), and the
engine routes each online/offline change only to nodes with followers: the cost of a login or
logout grows with its own followers, never with the number of connected users.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from openrtm.engines.base import EngineUnavailable
from openrtm.protocol.codec import encode
from openrtm.protocol.codes import (
    GetChannelMemberCountError,
    PeerOnlineState,
    PeerSubscriptionOption,
    PeerSubscriptionStatusError,
    QueryPeersBySubscriptionOptionError,
    QueryPeersOnlineStatusError,
)
from openrtm.protocol.limits import (
    MAX_MEMBER_COUNT_CHANNELS,
    MAX_QUERY_PEERS,
    MAX_SUBSCRIBED_PEERS,
    MEMBER_COUNT_RATE,
    QUERY_ONLINE_RATE,
    QUERY_SUBSCRIPTIONS_RATE,
    SUBSCRIBE_RATE,
    is_valid_channel_id,
    peer_ids_error,
)
from openrtm.protocol.messages import ClientMessage
from openrtm.protocol.presence import (
    GetMemberCounts,
    MemberCountsResult,
    OnlineResult,
    PeerStatusPush,
    QueryOnline,
    QuerySubscriptions,
    Subscribe,
    SubscriptionsResult,
    Unsubscribe,
)

if TYPE_CHECKING:
    from collections.abc import Callable

    from openrtm.server.node import Node
    from openrtm.server.session import Session

__all__ = ["PresenceService"]

log = logging.getLogger("openrtm.presence")

_ONLINE, _OFFLINE = PeerOnlineState.ONLINE.value, PeerOnlineState.OFFLINE.value
_UNAVAILABLE = "server unavailable, try again"


class PresenceService:
    """Owns ``query_online``, ``subscribe``, ``unsubscribe``, ``query_subscriptions`` and
    ``member_counts``, and pushes ``peer_status`` to followers."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The requests this service answers."""
        return {
            QueryOnline: self.query_online,
            Subscribe: self.subscribe,
            Unsubscribe: self.unsubscribe,
            QuerySubscriptions: self.query_subscriptions,
            GetMemberCounts: self.member_counts,
        }

    def query_online(self, session: Session, request: QueryOnline) -> None:
        """Answer which of 1–256 peers are logged in (spec §1.2)."""
        problem = peer_ids_error(request.peers, MAX_QUERY_PEERS)
        if problem is not None:
            session.refuse(request.id, QueryPeersOnlineStatusError.INVALID_ARGUMENT, problem)
        elif session.within((QueryOnline, QUERY_ONLINE_RATE)) >= 0:
            session.refuse(request.id, QueryPeersOnlineStatusError.TOO_OFTEN, "over 10 in 5 s")
        else:
            self._node.spawn(self._query_online(session, request))

    async def _query_online(self, session: Session, request: QueryOnline) -> None:
        try:
            online = await self._node.presence.online(session.app_id, request.peers)
        except EngineUnavailable as exc:
            # Redis down or slow (issue #15): a clear failure, not a hang (protocol §4).
            log.warning("query_online failed: %s", exc)
            session.refuse(request.id, QueryPeersOnlineStatusError.FAILURE, _UNAVAILABLE)
            return
        session.reply(request.id, OnlineResult(online=online))

    def subscribe(self, session: Session, request: Subscribe) -> None:
        """Follow peers; a snapshot of their states is pushed after the reply (spec §1.2).

        The 512 limit counts the followed peers after the call, de-duplicated (code 6).
        """
        problem = peer_ids_error(request.peers, None)
        new = [uid for uid in dict.fromkeys(request.peers) if uid not in session.following]
        if problem is not None:
            session.refuse(request.id, PeerSubscriptionStatusError.INVALID_ARGUMENT, problem)
        elif len(session.following) + len(new) > MAX_SUBSCRIBED_PEERS:
            session.refuse(
                request.id, PeerSubscriptionStatusError.OVERFLOW, "over 512 subscribed peers"
            )
        elif session.within((Subscribe, SUBSCRIBE_RATE)) >= 0:
            session.refuse(request.id, PeerSubscriptionStatusError.TOO_OFTEN, "over 10 in 5 s")
        else:
            for uid in new:
                session.following[uid] = None
                self._node.hub.follow(session, uid)
            self._node.spawn(self._snapshot(session, request.id, new))

    async def _snapshot(self, session: Session, request_id: int, peers: list[str]) -> None:
        try:
            online = await self._node.presence.online(session.app_id, peers) if peers else {}
        except EngineUnavailable as exc:
            log.warning("subscribe failed: %s", exc)
            for uid in peers:  # not followed after all: the call failed
                self.unfollow(session, uid)
            session.refuse(request_id, PeerSubscriptionStatusError.FAILURE, _UNAVAILABLE)
            return
        session.reply(request_id)
        if online:
            statuses = {uid: _ONLINE if up else _OFFLINE for uid, up in online.items()}
            session.send(PeerStatusPush(statuses=statuses))

    def unsubscribe(self, session: Session, request: Unsubscribe) -> None:
        """Stop following peers (at most 512 ids a call)."""
        problem = peer_ids_error(request.peers, MAX_SUBSCRIBED_PEERS)
        if problem is not None:
            code = (
                PeerSubscriptionStatusError.OVERFLOW
                if isinstance(request.peers, list) and len(request.peers) > MAX_SUBSCRIBED_PEERS
                else PeerSubscriptionStatusError.INVALID_ARGUMENT
            )
            session.refuse(request.id, code, problem)
        elif session.within((Subscribe, SUBSCRIBE_RATE)) >= 0:
            session.refuse(request.id, PeerSubscriptionStatusError.TOO_OFTEN, "over 10 in 5 s")
        else:
            for uid in request.peers:
                self.unfollow(session, uid)
            session.reply(request.id)

    def unfollow(self, session: Session, uid: str) -> None:
        """Stop ``session`` following ``uid`` (unsubscribe, logout)."""
        session.following.pop(uid, None)
        self._node.hub.unfollow(session, uid)

    def query_subscriptions(self, session: Session, request: QuerySubscriptions) -> None:
        """List the followed peers (spec §1.2 ``queryPeersBySubscriptionOption``)."""
        if request.option != PeerSubscriptionOption.ONLINE_STATUS:
            # Spec §1.2: another option is code 2.
            session.refuse(
                request.id, QueryPeersBySubscriptionOptionError.TIMEOUT, "unknown option"
            )
        elif session.within((QuerySubscriptions, QUERY_SUBSCRIPTIONS_RATE)) >= 0:
            session.refuse(
                request.id, QueryPeersBySubscriptionOptionError.TOO_OFTEN, "over 10 in 5 s"
            )
        else:
            session.reply(request.id, SubscriptionsResult(peers=sorted(session.following)))

    def member_counts(self, session: Session, request: GetMemberCounts) -> None:
        """Count the members of 1–32 channels, joined or not (spec §6.8)."""
        channels = request.channels
        if len(channels) > MAX_MEMBER_COUNT_CHANNELS:
            session.refuse(request.id, GetChannelMemberCountError.EXCEED_LIMIT, "over 32 channels")
        elif not channels or not all(is_valid_channel_id(c) for c in channels):
            session.refuse(
                request.id, GetChannelMemberCountError.INVALID_ARGUMENT, "1 to 32 channel ids"
            )
        elif session.within((GetMemberCounts, MEMBER_COUNT_RATE)) >= 0:
            session.refuse(request.id, GetChannelMemberCountError.TOO_OFTEN, "over 1 a second")
        else:
            self._node.spawn(self._member_counts(session, request))

    async def _member_counts(self, session: Session, request: GetMemberCounts) -> None:
        try:
            counts = await self._node.presence.channel_counts(session.app_id, request.channels)
        except EngineUnavailable as exc:
            log.warning("member counts failed: %s", exc)
            session.refuse(request.id, GetChannelMemberCountError.FAILURE, _UNAVAILABLE)
            return
        session.reply(request.id, MemberCountsResult(counts=counts))

    def on_presence(self, app_id: str, uid: str, state: str) -> None:
        """Push ``uid``'s new state to its local followers, and to them only."""
        followers = self._node.hub.followers(app_id, uid)
        if followers:
            data = encode(PeerStatusPush(statuses={uid: state}))
            for session in followers:
                session.write(data)
