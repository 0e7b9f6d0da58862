"""The SDK's presence calls: online status, subscriptions, member counts (spec §1.2, §6.9).

``RtmClient`` delegates its presence methods here. The SDK checks what the Web SDK checks
before sending (ids, counts, call frequency) with the same codes, and remembers the last state
of each followed peer so that it can re-subscribe after a reconnect and report changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import TYPE_CHECKING

import msgspec

from openrtm.errors import error_for
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
    from openrtm.client.client import RtmClient

__all__ = ["PresenceCalls", "PresenceMethods"]

_ONLINE, _OFFLINE = PeerOnlineState.ONLINE.value, PeerOnlineState.OFFLINE.value


def _ids(ids: Iterable[str]) -> list[str]:
    # A lone string is an iterable of characters: take it as the list it was meant as, so
    # that the id rules judge it instead of each of its letters.
    return [ids] if isinstance(ids, str) else list(ids)


class PresenceCalls:
    """Presence for one client.

    Attributes:
        following: followed peers with their last known state (None until the first push).
    """

    def __init__(self, client: RtmClient) -> None:
        self._client = client
        self.following: dict[str, str | None] = {}

    async def query(self, peer_ids: Iterable[str]) -> dict[str, bool]:
        """``query_peers_online_status``: codes 102, 2, 5."""
        peers = _ids(peer_ids)
        self._logged_in(QueryPeersOnlineStatusError.USER_NOT_LOGGED_IN)
        problem = peer_ids_error(peers, MAX_QUERY_PEERS)
        if problem is not None:
            raise error_for(QueryPeersOnlineStatusError.INVALID_ARGUMENT, problem)
        if self._client.within((QueryOnline, QUERY_ONLINE_RATE)) >= 0:
            raise error_for(QueryPeersOnlineStatusError.TOO_OFTEN, "over 10 calls in 5 s")
        result = await self._client.call(QueryOnline, QueryPeersOnlineStatusError, peers=peers)
        online = msgspec.convert(result, OnlineResult).online
        # Spec §1.2: a followed peer whose queried state differs is also reported as a change.
        changed = {
            uid: (_ONLINE if up else _OFFLINE)
            for uid, up in online.items()
            if uid in self.following and self.following[uid] != (_ONLINE if up else _OFFLINE)
        }
        if changed:
            self.on_push(PeerStatusPush(statuses=changed))
        return online

    async def subscribe(self, peer_ids: Iterable[str]) -> None:
        """``subscribe_peers_online_status``: codes 102, 2, 6 (over 512 in all), 5."""
        peers = _ids(peer_ids)
        self._logged_in(PeerSubscriptionStatusError.USER_NOT_LOGGED_IN)
        problem = peer_ids_error(peers, None)  # the 512 limit is on the total, below
        if problem is not None:
            raise error_for(PeerSubscriptionStatusError.INVALID_ARGUMENT, problem)
        new = [uid for uid in dict.fromkeys(peers) if uid not in self.following]
        if len(self.following) + len(new) > MAX_SUBSCRIBED_PEERS:
            raise error_for(PeerSubscriptionStatusError.OVERFLOW, "over 512 subscribed peers")
        if self._client.within((Subscribe, SUBSCRIBE_RATE)) >= 0:
            raise error_for(PeerSubscriptionStatusError.TOO_OFTEN, "over 10 calls in 5 s")
        for uid in new:  # counted as pending at once (spec §1.2: existing + pending + new)
            self.following[uid] = None
        try:
            await self._client.call(Subscribe, PeerSubscriptionStatusError, peers=peers)
        except BaseException:
            for uid in new:
                self.following.pop(uid, None)
            raise

    async def unsubscribe(self, peer_ids: Iterable[str]) -> None:
        """``unsubscribe_peers_online_status``: codes 102, 2, 6 (over 512 ids), 5."""
        peers = _ids(peer_ids)
        self._logged_in(PeerSubscriptionStatusError.USER_NOT_LOGGED_IN)
        if len(peers) > MAX_SUBSCRIBED_PEERS:
            raise error_for(PeerSubscriptionStatusError.OVERFLOW, "over 512 ids in one call")
        problem = peer_ids_error(peers, MAX_SUBSCRIBED_PEERS)
        if problem is not None:
            raise error_for(PeerSubscriptionStatusError.INVALID_ARGUMENT, problem)
        if self._client.within((Subscribe, SUBSCRIBE_RATE)) >= 0:
            raise error_for(PeerSubscriptionStatusError.TOO_OFTEN, "over 10 calls in 5 s")
        await self._client.call(Unsubscribe, PeerSubscriptionStatusError, peers=peers)
        for uid in peers:
            self.following.pop(uid, None)

    async def query_by_option(self, option: str) -> list[str]:
        """``query_peers_by_subscription_option``: codes 102, 2 (unknown option), 3."""
        self._logged_in(QueryPeersBySubscriptionOptionError.USER_NOT_LOGGED_IN)
        if option != PeerSubscriptionOption.ONLINE_STATUS:
            # Spec §1.2: "other option → code 2".
            raise error_for(QueryPeersBySubscriptionOptionError.TIMEOUT, "unknown option")
        if self._client.within((QuerySubscriptions, QUERY_SUBSCRIPTIONS_RATE)) >= 0:
            raise error_for(QueryPeersBySubscriptionOptionError.TOO_OFTEN, "over 10 in 5 s")
        result = await self._client.call(
            QuerySubscriptions, QueryPeersBySubscriptionOptionError, option=option
        )
        return msgspec.convert(result, SubscriptionsResult).peers

    async def member_counts(self, channel_ids: Iterable[str]) -> dict[str, int]:
        """``get_channel_member_count``: codes 102, 2, 5 (over 32), 3 (over 1 a second)."""
        channels = _ids(channel_ids)
        self._logged_in(GetChannelMemberCountError.USER_NOT_LOGGED_IN)
        if len(channels) > MAX_MEMBER_COUNT_CHANNELS:
            raise error_for(GetChannelMemberCountError.EXCEED_LIMIT, "over 32 channels")
        if not channels or not all(is_valid_channel_id(c) for c in channels):
            raise error_for(GetChannelMemberCountError.INVALID_ARGUMENT, "1 to 32 channel ids")
        if self._client.within((GetMemberCounts, MEMBER_COUNT_RATE)) >= 0:
            raise error_for(GetChannelMemberCountError.TOO_OFTEN, "over 1 call a second")
        result = await self._client.call(
            GetMemberCounts, GetChannelMemberCountError, channels=channels
        )
        return msgspec.convert(result, MemberCountsResult).counts

    def on_push(self, frame: PeerStatusPush) -> None:
        """Record and report followed peers' new states (``PeersOnlineStatusChanged``).

        Only changes are reported: the snapshot a re-subscribe brings after a reconnect
        tells the app what it missed, not what it knew (spec §1.3).
        """
        following = self.following
        statuses = {
            uid: s for uid, s in frame.statuses.items() if uid in following and following[uid] != s
        }
        if statuses:
            self.following.update(statuses)
            self._client.emit("PeersOnlineStatusChanged", statuses)

    def _logged_in(self, code: IntEnum) -> None:
        if not self._client.logged_in:
            raise error_for(code, "not logged in")


class PresenceMethods:
    """``RtmClient``'s presence methods (design §4), delegating to :class:`PresenceCalls`."""

    _presence: PresenceCalls

    async def query_peers_online_status(self, peer_ids: list[str]) -> dict[str, bool]:
        """Which of 1–256 peers are logged in (``queryPeersOnlineStatus``)."""
        return await self._presence.query(peer_ids)

    async def subscribe_peers_online_status(self, peer_ids: list[str]) -> None:
        """Follow peers' online state (``subscribePeersOnlineStatus``); at most 512 in all."""
        await self._presence.subscribe(peer_ids)

    async def unsubscribe_peers_online_status(self, peer_ids: list[str]) -> None:
        """Stop following peers (``unsubscribePeersOnlineStatus``)."""
        await self._presence.unsubscribe(peer_ids)

    async def query_peers_by_subscription_option(self, option: str) -> list[str]:
        """The followed peers; option ``"ONLINE_STATUS"`` (``queryPeersBySubscriptionOption``)."""
        return await self._presence.query_by_option(option)

    async def get_channel_member_count(self, channel_ids: list[str]) -> dict[str, int]:
        """Member counts of 1–32 channels, joined or not (``getChannelMemberCount``)."""
        return await self._presence.member_counts(channel_ids)
