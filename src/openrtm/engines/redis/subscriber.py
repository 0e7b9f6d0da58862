"""The node's PUB/SUB connection: what it is subscribed to is exactly what it has interest in.

Interest is reference-counted by PUB/SUB channel (a topic): the Hub's first local session,
member or follower acquires it, the last one releases it, and the Redis presence holds one
more while a login or a join is in flight (so that its reply goes out only once the node
hears the topic: presence.py). Changes are queued and a writer task sends them as SUBSCRIBE /
UNSUBSCRIBE commands of many topics at once; a reader task dispatches each message by topic.

When the connection fails (Redis restarted or unreachable), a supervisor reconnects with
exponential backoff and subscribes everything of interest again, then tells the engine, which
re-registers this node's sessions and memberships (issue #15 item 4). A PING every
``ping_interval`` seconds tells a dead link (no RST, e.g. a partition) from a quiet one.

On Redis Cluster (``sharded``) the same class speaks sharded PUB/SUB to one master: SSUBSCRIBE
/ SUNSUBSCRIBE, ``smessage`` (shards.py keeps one per master and routes each topic by its
slot). A topic whose slot the master no longer serves (a MOVED reply, or the unsolicited
``sunsubscribe`` Redis sends when a slot migrates away) is reported to ``on_moved``, which
routes it again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import ResponseError

from openrtm.engines.base import EngineUnavailable
from openrtm.engines.redis.errors import REDIS_ERRORS

if TYPE_CHECKING:
    from redis.asyncio.connection import AbstractConnection, ConnectionPool

__all__ = ["Subscriber"]

log = logging.getLogger("openrtm.engines.redis")

_CHUNK = 1000  # topics per SUBSCRIBE command when re-subscribing everything
_BACKOFF_MIN, _BACKOFF_MAX = 0.05, 5.0

OnMessage = Callable[[Any, bytes], None]


class Subscriber:
    """Reference-counted topics, kept subscribed on one connection across Redis failures.

    Args:
        pool: where the connection comes from (it is kept, never returned while in use).
        on_message: called with the route given to :meth:`acquire` and the payload.
        on_reconnect: awaited after a lost connection is back and resubscribed.
        ping_interval: seconds between liveness PINGs.
        timeout: how long a connect or a PING may take.
        sharded: speak sharded PUB/SUB (Redis Cluster, one master's connection).
        on_moved: called with a topic this connection can no longer hear (sharded only).
    """

    def __init__(
        self,
        pool: ConnectionPool,
        on_message: OnMessage,
        on_reconnect: Callable[[], Awaitable[None]],
        *,
        ping_interval: float,
        timeout: float,
        sharded: bool = False,
        on_moved: Callable[[bytes], None] | None = None,
    ) -> None:
        self._pool = pool
        self._verbs = ("SSUBSCRIBE", "SUNSUBSCRIBE") if sharded else ("SUBSCRIBE", "UNSUBSCRIBE")
        self._message = b"smessage" if sharded else b"message"
        self._acks = (b"ssubscribe", b"sunsubscribe") if sharded else (b"subscribe", b"unsubscribe")
        # All channels of one SSUBSCRIBE must be in one slot: sharded, one topic per command
        # (still one write for all of them).
        self._chunk = 1 if sharded else _CHUNK
        self._on_moved = on_moved
        self._on_message = on_message
        self._on_reconnect = on_reconnect
        self._ping_interval = ping_interval
        self._timeout = timeout
        self._refs: dict[bytes, int] = {}
        self._routes: dict[bytes, Any] = {}
        self._sent: set[bytes] = set()  # subscribed (or being) on the current connection
        self._unanswered: dict[bytes, int] = {}  # SUBSCRIBE/UNSUBSCRIBE replies still due
        self._waiters: dict[bytes, list[asyncio.Future[None]]] = {}
        self._dirty: set[bytes] = set()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._last_heard = 0.0
        self.connected = False
        """Whether the connection is up and every topic of interest has been sent."""

    # --- interest --------------------------------------------------------------------------

    def acquire(self, topic: bytes, route: Any) -> None:
        """One more reason to hear ``topic``; its messages go to ``on_message(route, ...)``."""
        refs = self._refs.get(topic, 0)
        self._refs[topic] = refs + 1
        if not refs:
            self._routes[topic] = route
            self._changed(topic)

    def release(self, topic: bytes) -> None:
        """One reason fewer; at the last, the topic is unsubscribed."""
        refs = self._refs.get(topic, 0) - 1
        if refs > 0:
            self._refs[topic] = refs
        elif refs == 0:
            del self._refs[topic]
            del self._routes[topic]
            self._changed(topic)

    def subscribed(self, topic: bytes) -> bool:
        """Whether Redis has confirmed ``topic`` on the current connection."""
        return topic in self._sent and not self._unanswered.get(topic)

    async def confirmed(self, topic: bytes) -> None:
        """Wait until Redis confirms ``topic`` (acquired before), within the timeout."""
        if self.subscribed(topic):
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(topic, []).append(waiter)
        try:
            await asyncio.wait_for(waiter, self._timeout)
        except TimeoutError:
            raise EngineUnavailable("redis: no subscription confirmed in time") from None
        finally:
            waiters = self._waiters.get(topic)
            if waiters is not None:
                with contextlib.suppress(ValueError):
                    waiters.remove(waiter)
                if not waiters:
                    del self._waiters[topic]

    def topics(self) -> int:
        """How many topics this node has interest in."""
        return len(self._refs)

    def interested(self, topic: bytes) -> bool:
        """Whether ``topic`` has any reference here."""
        return topic in self._refs

    def take(self, topic: bytes) -> tuple[int, Any] | None:
        """Give up ``topic`` with all its references (to move it to another shard): its
        reference count and route, or None if it had none."""
        refs = self._refs.pop(topic, 0)
        if not refs:
            return None
        route = self._routes.pop(topic)
        self._changed(topic)
        return refs, route

    def put(self, topic: bytes, refs: int, route: Any) -> None:
        """Take over ``topic`` with ``refs`` references (from :meth:`take` on another shard)."""
        self._refs[topic] = self._refs.get(topic, 0) + refs
        self._routes[topic] = route
        self._changed(topic)

    def _changed(self, topic: bytes) -> None:
        self._dirty.add(topic)
        self._wake.set()

    # --- the connection ----------------------------------------------------------------------

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="redis-subscriber")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        backoff = _BACKOFF_MIN
        first = True
        while True:
            conn: AbstractConnection | None = None
            try:
                async with asyncio.timeout(self._timeout):
                    conn = await self._pool.get_connection()  # type: ignore[no-untyped-call]
                self._sent.clear()
                self._unanswered.clear()
                self._dirty = set(self._refs)
                self._wake.set()
                self._last_heard = asyncio.get_running_loop().time()
                if not first:
                    log.warning("redis reachable again: resubscribing %d topics", len(self._refs))
                tasks = [
                    asyncio.create_task(self._write(conn)),
                    asyncio.create_task(self._read(conn)),
                ]
                if not first:
                    tasks.append(asyncio.create_task(self._reconnected()))
                first = False
                backoff = _BACKOFF_MIN
                try:
                    done, _ = await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                for task in done:
                    task.result()  # raises what ended it
            except REDIS_ERRORS as exc:
                if self.connected:
                    log.warning("redis PUB/SUB connection lost: %s", exc or type(exc).__name__)
            except Exception:
                log.exception("redis PUB/SUB connection failed")
            finally:
                self.connected = False
                if conn is not None:
                    with contextlib.suppress(*REDIS_ERRORS):
                        await conn.disconnect()
                    await self._pool.release(conn)
            # Jittered, so that many nodes do not all come back at the same instant.
            await asyncio.sleep(backoff * (0.5 + random.random() / 2))
            backoff = min(backoff * 2, _BACKOFF_MAX)

    async def _reconnected(self) -> None:
        try:
            await self._on_reconnect()
        except EngineUnavailable as exc:
            log.warning("re-registering after a reconnect failed: %s", exc)
        except Exception:
            log.exception("re-registering after a reconnect failed")

    async def _write(self, conn: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._ping_interval)
            self._wake.clear()
            dirty, self._dirty = self._dirty, set()
            refs, sent = self._refs, self._sent
            subscribe = [t for t in dirty if t in refs and t not in sent]
            unsubscribe = [t for t in dirty if t not in refs and t in sent]
            commands: list[tuple[Any, ...]] = []
            for verb, topics in zip(self._verbs, (subscribe, unsubscribe), strict=True):
                chunk = self._chunk
                for i in range(0, len(topics), chunk):
                    commands.append((verb, *topics[i : i + chunk]))
                for topic in topics:
                    self._unanswered[topic] = self._unanswered.get(topic, 0) + 1
            sent.update(subscribe)
            sent.difference_update(unsubscribe)
            if loop.time() - self._last_heard > self._ping_interval:
                commands.append(("PING",))
            if loop.time() - self._last_heard > 2 * self._ping_interval + self._timeout:
                raise ConnectionError("no answer to PING")
            if commands:
                async with asyncio.timeout(self._timeout):
                    await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
            if not self._dirty:
                self.connected = True

    async def _read(self, conn: AbstractConnection) -> None:
        loop = asyncio.get_running_loop()
        routes, on_message = self._routes, self._on_message
        message, acks = self._message, self._acks
        while True:
            try:
                reply = await conn.read_response(timeout=math.inf)
            except ResponseError as exc:  # an error reply: the stream is still in step
                self._refused(exc)
                continue
            self._last_heard = loop.time()
            if type(reply) is not list:
                continue  # PONG outside subscribed mode
            kind = reply[0]
            if kind == message:
                route = routes.get(reply[1])
                if route is not None:  # else: unsubscribed since it was sent
                    try:
                        on_message(route, reply[2])
                    except Exception:
                        log.exception("delivering an engine event failed")
            elif kind in acks:
                self._answered(reply[1])

    def _refused(self, exc: ResponseError) -> None:
        # Only an SSUBSCRIBE / SUNSUBSCRIBE can be refused: MOVED, its slot is another
        # master's now. Which topic it was is not in the reply: the re-route checks them all.
        log.warning("redis refused a subscription: %s", exc)
        if self._on_moved is not None:
            self._on_moved(b"")

    def _answered(self, topic: bytes) -> None:
        unanswered = self._unanswered.get(topic, 0)
        if not unanswered:
            # Nothing asked: Redis unsubscribed us by itself (sharded PUB/SUB, the topic's
            # slot migrated to another master).
            if topic in self._sent and self._on_moved is not None:
                self._sent.discard(topic)
                self._on_moved(topic)
            return
        left = unanswered - 1
        if left > 0:
            self._unanswered[topic] = left
            return
        self._unanswered.pop(topic, None)
        if topic in self._sent:
            for waiter in self._waiters.pop(topic, ()):
                if not waiter.done():
                    waiter.set_result(None)
