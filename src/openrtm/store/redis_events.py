"""The REST user and channel events on Redis (spec §7.5): a destructive-read ring per App ID.

Each App and kind is a list: a record is ``RPUSH`` then ``LTRIM`` to the newest
:data:`~openrtm.store.base.EVENTS_KEPT_PER_APP`; a take is the script
:data:`~openrtm.store.redis_scripts.EVENTS_TAKE` (read and trim in one step, so two nodes taking
at once never both return an event).
"""

from __future__ import annotations

from typing import Any

import msgspec

from openrtm.store import redis_scripts
from openrtm.store.base import EVENTS_KEPT_PER_APP, ChannelEventRecord, UserEventRecord
from openrtm.store.redis_writer import Command, Pipelined

__all__ = ["record", "take_channel", "take_user"]

_encode = msgspec.msgpack.Encoder().encode
# Each event is stored as its own msgpack value; a take joins them under one array header
# (0xdd: array 32) and decodes the lot in one call.
_decode_user = msgspec.msgpack.Decoder(list[UserEventRecord]).decode
_decode_channel = msgspec.msgpack.Decoder(list[ChannelEventRecord]).decode


def record(key: str, event: UserEventRecord | ChannelEventRecord) -> Pipelined[None]:
    """Append an event to the ring ``key``, dropping the oldest beyond the cap."""
    return Pipelined(
        [("RPUSH", key, _encode(event)), ("LTRIM", key, -EVENTS_KEPT_PER_APP, -1)],
        lambda replies: None,
    )


def _take(key: str, limit: int) -> list[Command]:
    return [("EVALSHA", redis_scripts.EVENTS_TAKE.sha, 1, key, limit)]


def _array(items: list[bytes]) -> bytes:
    return b"\xdd" + len(items).to_bytes(4, "big") + b"".join(items)


def take_user(key: str, limit: int) -> Pipelined[list[UserEventRecord]]:
    """Remove and return the oldest ``limit`` user events of the ring ``key``."""

    def parse(replies: list[Any]) -> list[UserEventRecord]:
        return _decode_user(_array(replies[0]))

    return Pipelined(_take(key, limit), parse)


def take_channel(key: str, limit: int) -> Pipelined[list[ChannelEventRecord]]:
    """Remove and return the oldest ``limit`` channel events of the ring ``key``."""

    def parse(replies: list[Any]) -> list[ChannelEventRecord]:
        return _decode_channel(_array(replies[0]))

    return Pipelined(_take(key, limit), parse)
