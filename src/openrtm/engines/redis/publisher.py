"""Every PUBLISH of a node, on one connection, by one writer task, in the order published.

Publishing is synchronous for the caller (the Broker Protocol: no await on the message path):
:meth:`Publisher.publish` appends to a queue and the writer sends what has gathered as one
pipeline (one write, one read of the replies), so a burst costs one round trip, and the events
to one user or one channel leave in the order they were published (engines/base.py). Each
PUBLISH's receiver count goes back to its caller, if it asked: whether some node subscribed.

When Redis is down, a batch fails at once with count 0 for each publish, and the writer does
not try again before a backoff has passed, so publishes during an outage cost nothing but the
callbacks (issue #15 item 4: refuse, never hang).

On Redis Cluster the verb is SPUBLISH (sharded PUB/SUB), one Publisher per master (shards.py);
a MOVED reply (the topic's slot migrated) counts 0 for that publish and is reported to
``on_moved``, so that the slot map is read again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from redis.exceptions import MovedError, ResponseError

from openrtm.engines.redis.errors import REDIS_ERRORS

if TYPE_CHECKING:
    from redis.asyncio.connection import AbstractConnection, ConnectionPool

__all__ = ["Publisher"]

log = logging.getLogger("openrtm.engines.redis")

OnCount = Callable[[int], None]

_MAX_BATCH = 1024  # PUBLISHes in one pipeline: bounds the memory of one write
_BACKOFF_MIN, _BACKOFF_MAX = 0.05, 2.0


class Publisher:
    """The node's PUBLISH queue and its writer task."""

    def __init__(
        self,
        pool: ConnectionPool,
        timeout: float,
        *,
        sharded: bool = False,
        on_moved: Callable[[], None] | None = None,
    ) -> None:
        self._pool = pool
        self._verb = "SPUBLISH" if sharded else "PUBLISH"
        self._on_moved = on_moved
        self._timeout = timeout
        self._queue: list[tuple[bytes, bytes, OnCount | None]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._conn: AbstractConnection | None = None
        self._retry_at = 0.0
        self._backoff = _BACKOFF_MIN
        self._down = False
        self.sent = 0
        """PUBLISH commands sent (tests and metrics)."""

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="redis-publisher")

    def publish(self, topic: bytes, payload: bytes, on_count: OnCount | None = None) -> None:
        """Queue one PUBLISH; ``on_count`` hears its receiver count (0 if it failed)."""
        queue = self._queue
        queue.append((topic, payload, on_count))
        if len(queue) == 1:
            self._wake.set()

    async def flush(self) -> None:
        """Wait until everything queued so far has been sent (or has failed)."""
        done = asyncio.get_running_loop().create_future()
        self.publish(b"", b"", done.set_result)  # an empty topic is never sent
        await done

    async def close(self, *, drain: bool) -> None:
        """Stop the writer: after sending what is queued (``drain``), or at once (a crash)."""
        if drain and self._task is not None and not self._task.done():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.flush(), self._timeout)
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self._fail(self._queue)
        self._queue = []
        await self._drop()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._queue:
                batch = self._queue[:_MAX_BATCH]
                del self._queue[:_MAX_BATCH]
                counts = await self._send(batch)
                for (_, _, on_count), count in zip(batch, counts, strict=True):
                    if on_count is not None:
                        try:
                            on_count(count)
                        except Exception:
                            log.exception("a publish callback failed")

    async def _send(self, batch: list[tuple[bytes, bytes, OnCount | None]]) -> list[int]:
        verb = self._verb
        commands = [(verb, topic, payload) for topic, payload, _ in batch if topic]
        if not commands:
            return [0] * len(batch)
        loop = asyncio.get_running_loop()
        if loop.time() < self._retry_at:
            return [0] * len(batch)
        try:
            async with asyncio.timeout(self._timeout):
                try:
                    replies = await self._pipeline(commands)
                except REDIS_ERRORS:
                    if self._conn is None:
                        raise  # could not even connect
                    # The kept connection may have been closed by a Redis restart since its
                    # last use: one more try on a fresh one before the batch fails. (Were
                    # the first try's commands run before the connection broke, Redis
                    # would have crashed in the middle of them: delivered at least once.)
                    await self._drop()
                    replies = await self._pipeline(commands)
        except REDIS_ERRORS as exc:
            if not self._down:
                self._down = True
                log.warning("redis unavailable, publishes fail: %s", exc or type(exc).__name__)
            self._retry_at = loop.time() + self._backoff
            self._backoff = min(self._backoff * 2, _BACKOFF_MAX)
            await self._drop()
            return [0] * len(batch)
        if self._down:
            self._down = False
            log.warning("redis available again, publishing")
        self._backoff = _BACKOFF_MIN
        self.sent += len(commands)
        counts = iter(replies)
        return [self._count(next(counts)) if topic else 0 for topic, _, _ in batch]

    def _count(self, reply: Any) -> int:
        if isinstance(reply, ResponseError):
            if isinstance(reply, MovedError) and self._on_moved is not None:
                self._on_moved()
            log.warning("redis refused a publish: %s", reply)
            return 0
        return int(reply)

    async def _pipeline(self, commands: list[tuple[str, bytes, bytes]]) -> list[Any]:
        conn = self._conn
        if conn is None:
            conn = self._conn = await self._pool.get_connection()  # type: ignore[no-untyped-call]
        await conn.send_packed_command(conn.pack_commands(commands), check_health=False)
        replies: list[Any] = []
        for _ in commands:
            try:
                replies.append(await conn.read_response())
            except ResponseError as exc:  # an error reply: the next replies are still in step
                replies.append(exc)
        return replies

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                await conn.disconnect()
            finally:
                await self._pool.release(conn)

    @staticmethod
    def _fail(batch: list[tuple[bytes, bytes, OnCount | None]]) -> None:
        for _, _, on_count in batch:
            if on_count is not None:
                on_count(0)
