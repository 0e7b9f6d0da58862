"""Frames of presence and channel member counts (spec §1.2, §4.9–§4.11, §4.13, §6.9).

Part of the wire protocol of :mod:`openrtm.protocol.messages` (``docs/protocol.md``).
"""

from __future__ import annotations

import msgspec

from openrtm.protocol.codes import (
    GetChannelMemberCountError,
    PeerSubscriptionStatusError,
    QueryPeersBySubscriptionOptionError,
    QueryPeersOnlineStatusError,
)
from openrtm.protocol.messages import Request, ServerFrame

__all__ = [
    "GetMemberCounts",
    "MemberCountsResult",
    "OnlineResult",
    "PeerStatusPush",
    "QueryOnline",
    "QuerySubscriptions",
    "Subscribe",
    "SubscriptionsResult",
    "Unsubscribe",
]


class QueryOnline(Request, tag="query_online"):
    """Which of 1–256 ``peers`` are logged in (spec §1.2 ``queryPeersOnlineStatus``)."""

    peers: list[str]

    errors = QueryPeersOnlineStatusError
    invalid_code = QueryPeersOnlineStatusError.INVALID_ARGUMENT
    not_logged_in_code = QueryPeersOnlineStatusError.USER_NOT_LOGGED_IN


class OnlineResult(msgspec.Struct, kw_only=True):
    """What ``query_online`` replies: each peer's online state (never UNREACHABLE)."""

    online: dict[str, bool]


class Subscribe(Request, tag="subscribe"):
    """Follow ``peers``' online state; a ``peer_status`` snapshot follows the reply."""

    peers: list[str]

    errors = PeerSubscriptionStatusError
    invalid_code = PeerSubscriptionStatusError.INVALID_ARGUMENT
    not_logged_in_code = PeerSubscriptionStatusError.USER_NOT_LOGGED_IN


class Unsubscribe(Request, tag="unsubscribe"):
    """Stop following ``peers`` (at most 512 ids a call)."""

    peers: list[str]

    errors = PeerSubscriptionStatusError
    invalid_code = PeerSubscriptionStatusError.INVALID_ARGUMENT
    not_logged_in_code = PeerSubscriptionStatusError.USER_NOT_LOGGED_IN


class QuerySubscriptions(Request, tag="query_subscriptions"):
    """The peers followed for ``option`` (only ``"ONLINE_STATUS"`` exists)."""

    option: str

    errors = QueryPeersBySubscriptionOptionError
    invalid_code = QueryPeersBySubscriptionOptionError.FAILURE
    not_logged_in_code = QueryPeersBySubscriptionOptionError.USER_NOT_LOGGED_IN


class SubscriptionsResult(msgspec.Struct, kw_only=True):
    """What ``query_subscriptions`` replies."""

    peers: list[str]


class PeerStatusPush(ServerFrame, tag="peer_status"):
    """Online states of followed peers: ``"ONLINE"``, ``"UNREACHABLE"`` or ``"OFFLINE"``.

    Sent right after a ``subscribe`` (a snapshot of the new peers), then on every change.
    """

    statuses: dict[str, str]


class GetMemberCounts(Request, tag="member_counts"):
    """Member counts of 1–32 channels, joined or not (spec §1.2 ``getChannelMemberCount``)."""

    channels: list[str]

    errors = GetChannelMemberCountError
    invalid_code = GetChannelMemberCountError.INVALID_ARGUMENT
    not_logged_in_code = GetChannelMemberCountError.USER_NOT_LOGGED_IN


class MemberCountsResult(msgspec.Struct, kw_only=True):
    """What ``member_counts`` replies; an unknown channel counts 0."""

    counts: dict[str, int]
