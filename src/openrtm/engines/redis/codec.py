"""The bytes of an event on the wire between nodes: who sent it, then the event in msgpack.

An event is a tagged msgspec Struct (engines/base.py), encoded once per publish whatever the
number of nodes that receive it. The first :data:`ORIGIN_SIZE` bytes name the publishing
engine instance, so a node can skip what it published itself and delivered locally already
(broker.py, "Local delivery").
"""

from __future__ import annotations

from typing import Any, Union

import msgspec

from openrtm.engines.base import ChannelEvent, UserEvent

__all__ = [
    "ORIGIN_SIZE",
    "channel_event_decoder",
    "encoder",
    "user_event_decoder",
]

ORIGIN_SIZE = 8
"""Bytes of the random instance id that prefix every payload."""


def _leaves(base: type) -> tuple[type, ...]:
    # The concrete event types are the tagged subclasses of the base, all defined in
    # engines/base.py: a new one is routed without a change here.
    found: list[type] = []
    sub: type
    for sub in base.__subclasses__():
        found.append(sub)
        found.extend(_leaves(sub))
    return tuple(found)


def _decoder(base: type) -> msgspec.msgpack.Decoder[Any]:
    return msgspec.msgpack.Decoder(Union[_leaves(base)])  # noqa: UP007 (a runtime tuple)


encoder = msgspec.msgpack.Encoder()
user_event_decoder = _decoder(UserEvent)
channel_event_decoder = _decoder(ChannelEvent)
