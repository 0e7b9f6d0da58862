"""Node liveness: heartbeats, the reaping of dead nodes, and re-registration after an outage.

Every node beats every third of the presence TTL (issue #15 item 4, default 15 s): one script
moves its deadline in the ``nodes`` ZSET to Redis's now + TTL and lists the nodes whose
deadline has passed. For each dead node, the first survivor to take its reap lock (SET NX PX)
undoes what the node had recorded in its own sets (keys.py): each of its members leaves its
channels (MemberLeft with the new count, to every node with members there) and each of its
users goes OFFLINE (to every node with followers), unless the user has logged in or joined
again elsewhere meanwhile, which the scripts check. So a node killed with ``kill -9`` is gone
for everyone else within a TTL and a beat.

When Redis comes back after an outage (the PUB/SUB connection reconnects), or a beat finds
this node unregistered (Redis lost its data, or this node was taken for dead and reaped after a
pause), the node records its live sessions and memberships again, announcing what had been
lost (ONLINE, MemberJoined), and removes what ended while Redis was away. For one TTL after
an outage it reaps nobody: the others may not have had the chance to beat yet.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

import msgspec

from openrtm.engines.base import EngineUnavailable, MemberJoined, MemberLeft
from openrtm.engines.redis.commands import Commands
from openrtm.engines.redis.presence import (
    HEARTBEAT,
    JOIN,
    LEAVE,
    REMOVE_SESSION,
    RESTORE_SESSION,
)
from openrtm.protocol.codes import PeerOnlineState

if TYPE_CHECKING:
    from openrtm.engines.redis.engine import RedisEngine

__all__ = ["Liveness"]

log = logging.getLogger("openrtm.engines.redis")

_BATCH = 256  # scripts per pipeline while reaping or restoring
_DEAD_PER_BEAT = 16
_ONLINE, _OFFLINE = PeerOnlineState.ONLINE.value, PeerOnlineState.OFFLINE.value
_triple = msgspec.msgpack.Decoder(tuple[str, str, str])
_pack = msgspec.msgpack.encode


def _chunks(items: list[Any]) -> list[list[Any]]:
    return [items[i : i + _BATCH] for i in range(0, len(items), _BATCH)]


class Liveness:
    """The heartbeat task of one engine, its reaper and its re-registration."""

    def __init__(self, engine: RedisEngine, ttl: float) -> None:
        self._engine = engine
        self._commands = engine.commands
        self._keys = engine.keys
        self._node = engine.node_id
        self.ttl_ms = max(1, int(ttl * 1000))
        self.interval = ttl / 3
        self._task: asyncio.Task[None] | None = None
        self._registered = False
        self._restoring = asyncio.Lock()
        # Loop time before which this node reaps nobody: after an outage of Redis or of this
        # node's link to it, the other nodes may not have beaten yet either, and taking them
        # for dead would send their users OFFLINE and back ONLINE for nothing.
        self._reap_after = 0.0
        self.reaped: list[str] = []
        """Nodes this one has reaped (for the log and the tests)."""

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop(), name="redis-heartbeat")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.beat()
            except EngineUnavailable as exc:
                log.warning("heartbeat failed: %s", exc)
                self._hold_reaping()
            except Exception:
                log.exception("heartbeat failed")
                self._hold_reaping()

    def _hold_reaping(self) -> None:
        self._reap_after = asyncio.get_running_loop().time() + self.ttl_ms / 1000

    async def beat(self) -> None:
        """Beat once; re-register if Redis had lost this node; reap the dead."""
        new, dead = await self._commands.one(
            "heartbeat",
            *Commands.script(
                HEARTBEAT, [self._keys.nodes], [self._node, self.ttl_ms, _DEAD_PER_BEAT]
            ),
        )
        presence = self._engine.presence
        if new and self._registered:
            log.warning("this node was not registered in redis: registering its state again")
            await self.restore()
        elif presence.unremoved or presence.unleft:
            await self.restore()  # what ended during an outage, if the reconnection's failed
        self._registered = True
        if asyncio.get_running_loop().time() < self._reap_after:
            return
        for raw in dead:
            node = raw.decode()
            if node == self._node:
                continue
            lock = self._keys.reap_lock(node)
            if await self._commands.one("reap", "SET", lock, self._node, "NX", "PX", self.ttl_ms):
                await self.reap(node)

    async def reap(self, node: str) -> None:
        """Undo the sessions and memberships of ``node`` and forget it, announcing it all."""
        keys, run = self._keys, self._commands.run
        sessions, members = await run(
            "reap", ("SMEMBERS", keys.node_sessions(node)), ("SMEMBERS", keys.node_members(node))
        )
        if node != self._node:
            log.warning(
                "node %s missed its heartbeats: %d sessions and %d memberships end",
                node,
                len(sessions),
                len(members),
            )
        broker = self._engine.broker
        for batch in _chunks([_triple.decode(m) for m in members]):
            replies = await run(
                "reap",
                *(
                    Commands.script(LEAVE, [keys.members(app, channel)], [uid, node])
                    for app, channel, uid in batch
                ),
            )
            for (app, channel, uid), (removed, count) in zip(batch, replies, strict=True):
                if removed:
                    broker.publish_channel(app, channel, MemberLeft(uid=uid, count=int(count)))
        for batch in _chunks([_triple.decode(s) for s in sessions]):
            replies = await run(
                "reap",
                *(
                    Commands.script(REMOVE_SESSION, [keys.user(app, uid)], [sid])
                    for app, uid, sid in batch
                ),
            )
            for (app, uid, _), offline in zip(batch, replies, strict=True):
                if offline:
                    broker.publish_presence(app, uid, _OFFLINE)
        await run(
            "reap",
            ("DEL", keys.node_sessions(node), keys.node_members(node)),
            ("ZREM", keys.nodes, node),
        )
        self.reaped.append(node)

    async def restore(self) -> None:
        """Record this node's live state in Redis again; remove what ended meanwhile."""
        async with self._restoring:
            await self._restore()

    async def _restore(self) -> None:
        self._hold_reaping()
        keys, run, node = self._keys, self._commands.run, self._node
        presence, broker = self._engine.presence, self._engine.broker
        await self._commands.load_scripts()
        await run("restore", Commands.script(HEARTBEAT, [keys.nodes], [node, self.ttl_ms, 0]))
        self._registered = True
        # What ended while Redis was away first, so that nothing is both added and removed.
        for batch in _chunks(sorted(presence.unleft)):
            replies = await run(
                "restore",
                *(
                    Commands.script(LEAVE, [keys.members(app, channel)], [uid, node])
                    for app, channel, uid in batch
                ),
                *(("SREM", keys.node_members(node), _pack(m)) for m in batch),
            )
            for (app, channel, uid), (removed, count) in zip(batch, replies, strict=False):
                presence.unleft.discard((app, channel, uid))
                if removed:
                    broker.publish_channel(app, channel, MemberLeft(uid=uid, count=int(count)))
        for batch in _chunks(sorted(presence.unremoved)):
            replies = await run(
                "restore",
                *(
                    Commands.script(REMOVE_SESSION, [keys.user(app, uid)], [sid])
                    for app, uid, sid in batch
                ),
                *(("SREM", keys.node_sessions(node), _pack(s)) for s in batch),
            )
            for (app, uid, sid), offline in zip(batch, replies, strict=False):
                presence.unremoved.discard((app, uid, sid))
                if offline:
                    broker.publish_presence(app, uid, _OFFLINE)
        restored = 0
        for batch in _chunks(sorted(presence.sessions)):
            replies = await run(
                "restore",
                *(
                    Commands.script(RESTORE_SESSION, [keys.user(app, uid)], [sid, node])
                    for app, uid, sid in batch
                ),
                *(("SADD", keys.node_sessions(node), _pack(s)) for s in batch),
            )
            for (app, uid, _), outcome in zip(batch, replies, strict=False):
                if outcome == 1:
                    restored += 1
                    broker.publish_presence(app, uid, _ONLINE)
        for batch in _chunks(sorted(presence.memberships)):
            replies = await run(
                "restore",
                *(
                    Commands.script(JOIN, [keys.members(app, channel)], [uid, node])
                    for app, channel, uid in batch
                ),
                *(("SADD", keys.node_members(node), _pack(m)) for m in batch),
            )
            for (app, channel, uid), (added, count) in zip(batch, replies, strict=False):
                if added:
                    restored += 1
                    broker.publish_channel(app, channel, MemberJoined(uid=uid, count=int(count)))
        log.info(
            "registered again in redis: %d sessions, %d memberships (%d had been lost)",
            len(presence.sessions),
            len(presence.memberships),
            restored,
        )
