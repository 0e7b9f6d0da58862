"""The Redis broker: one PUBLISH per event, heard only by the nodes that have interest.

Routing by interest (issue #15 item 2): a node subscribes to the topic of each user it holds a
session of, each channel it has members of, and each user its sessions follow (keys.py), as
the Hub tells it (engines/base.py, Interest). So

- a peer message is one PUBLISH on the receiver's user topic, heard by the receiver's node;
- a channel event is one PUBLISH on the channel's topic, heard once by each node with members
  there, whatever their number; a node without members hears nothing of it;
- an online-state change is one PUBLISH on the user's presence topic, heard by the nodes with
  followers of that user.

Local delivery. What the publishing node can deliver itself, it does, at once and in the
caller's stack as the memory broker does: an event for a user with a session here never goes
through Redis (a peer message between two users of one node costs no Redis command), and a
channel event or a state change reaches this node's members or followers directly while its
one PUBLISH carries it to the other nodes. Each payload starts with the publishing instance's
id, so the reader skips its own channel and presence events when Redis echoes them (this node
is subscribed too). Order: events from one node to one user, channel or follower leave in the
order published (one writer, publisher.py) and arrive in that order (one reader per node), and
local delivery keeps the order of the caller; only events from *different* nodes interleave,
as they would on one node receiving them from different connections.

A user event is published when no local session took it. That includes this node's own user
in the instant of its login (subscribed, not yet in the Hub): it is delivered when Redis echoes
it, once. :class:`SessionClaimed` is always published as well as delivered here: the user's
older session may be on another node (spec §6.11); its echo here finds the new session, which
it does not kick.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from openrtm.engines.base import (
    ChannelEvent,
    EngineHandler,
    SessionClaimed,
    UserEvent,
)
from openrtm.engines.redis.codec import (
    ORIGIN_SIZE,
    channel_event_decoder,
    encoder,
    user_event_decoder,
)
from openrtm.engines.redis.keys import Topic

if TYPE_CHECKING:
    from openrtm.engines.redis.engine import RedisEngine

__all__ = ["RedisBroker"]

_USER, _PRESENCE, _CHANNEL = Topic.USER, Topic.PRESENCE, Topic.CHANNEL


class RedisBroker:
    """A :class:`~openrtm.engines.base.Broker` for a node among many on one Redis."""

    def __init__(self, engine: RedisEngine) -> None:
        self._engine = engine
        self._topic = engine.keys.topic
        self._publish = engine.publisher.publish
        self._sub = engine.subscriber
        self._origin = engine.origin
        self._handler: EngineHandler | None = None

    async def start(self, handler: EngineHandler) -> None:
        self._handler = handler
        try:
            await self._engine.start()
        except BaseException:
            self._handler = None
            raise

    async def close(self) -> None:
        await self._engine.close()
        self._handler = None

    # --- publishing --------------------------------------------------------------------------

    def publish_user(
        self,
        app_id: str,
        uid: str,
        event: UserEvent,
        on_result: Callable[[bool], None] | None = None,
    ) -> None:
        handler = self._handler
        if handler is None:
            if on_result is not None:
                on_result(False)
            return
        if handler.on_user_event(app_id, uid, event) and type(event) is not SessionClaimed:
            if on_result is not None:
                on_result(True)
            return
        payload = self._origin + encoder.encode(event)
        if on_result is None or type(event) is SessionClaimed:
            self._publish(self._topic(_USER, app_id, uid), payload)
            if on_result is not None:
                on_result(True)
        else:
            self._publish(
                self._topic(_USER, app_id, uid), payload, lambda count: on_result(count > 0)
            )

    def publish_channel(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        handler = self._handler
        if handler is None:
            return
        handler.on_channel_event(app_id, channel, event)
        self._publish(self._topic(_CHANNEL, app_id, channel), self._origin + encoder.encode(event))

    def publish_presence(self, app_id: str, uid: str, state: str) -> None:
        handler = self._handler
        if handler is None:
            return
        handler.on_presence(app_id, uid, state)
        self._publish(self._topic(_PRESENCE, app_id, uid), self._origin + state.encode())

    # --- interest ------------------------------------------------------------------------------

    def subscribe_user(self, app_id: str, uid: str) -> None:
        self._sub.acquire(self._topic(_USER, app_id, uid), (_USER, app_id, uid))

    def unsubscribe_user(self, app_id: str, uid: str) -> None:
        self._sub.release(self._topic(_USER, app_id, uid))

    async def user_subscribed(self, app_id: str, uid: str) -> None:
        await self._sub.confirmed(self._topic(_USER, app_id, uid))

    def subscribe_channel(self, app_id: str, channel: str) -> None:
        self._sub.acquire(self._topic(_CHANNEL, app_id, channel), (_CHANNEL, app_id, channel))

    def unsubscribe_channel(self, app_id: str, channel: str) -> None:
        self._sub.release(self._topic(_CHANNEL, app_id, channel))

    def follow(self, app_id: str, uid: str) -> None:
        self._sub.acquire(self._topic(_PRESENCE, app_id, uid), (_PRESENCE, app_id, uid))

    def unfollow(self, app_id: str, uid: str) -> None:
        self._sub.release(self._topic(_PRESENCE, app_id, uid))

    # --- receiving (the subscriber's reader calls this) ----------------------------------------

    def deliver(self, route: tuple[Topic, str, str], data: bytes) -> None:
        """Hand a message of a subscribed topic to the node."""
        handler = self._handler
        if handler is None:
            return
        kind, app_id, name = route
        body: Any = memoryview(data)[ORIGIN_SIZE:]
        if kind is _USER:
            handler.on_user_event(app_id, name, user_event_decoder.decode(body))
        elif data.startswith(self._origin):
            return  # this node's own channel or presence event: delivered when published
        elif kind is _CHANNEL:
            handler.on_channel_event(app_id, name, channel_event_decoder.decode(body))
        else:
            handler.on_presence(app_id, name, bytes(body).decode())
