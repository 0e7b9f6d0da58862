"""The writer under the Redis store: one task runs every operation, in order, in pipelines.

Like the SQLite store's writer thread (:mod:`openrtm.store.sqlite_writer`), one task owns the
order of operations: everything called on the store — awaited or fire and forget, read or write
— is staged in one list, and the task takes the whole list at once and sends it to Redis as
ONE pipeline (one write to the socket, one round trip, and, with ``appendfsync always``, one
AOF fsync for all of it). While a pipeline is in flight, new operations gather for the next
one: a burst costs a round trip per batch, not per operation (group commit).

So the store keeps the Protocol's promise, "a read sees every write, awaited or fire and
forget, called before it" (:class:`~openrtm.store.base.Store`), and a fire-and-forget write is
on its way to Redis in the next event-loop iteration, not 10 ms later.

An operation is either :class:`Pipelined` — a few commands and a function of their replies —
or a :data:`Conversation`, an async function that needs several round trips (a read-check-write
of channel attributes, a purge in chunks); a conversation runs alone, between the pipelines of
the operations staged before and after it.

Failure (design §1; issue #15 item 4): every round trip is bounded by the store's timeout, and
redis-py never retries on its own (a pipeline replayed after a lost reply would run its
non-idempotent commands twice). An awaited operation fails with
:class:`~openrtm.store.base.StoreError`; a fire-and-forget one is logged and counted
(:attr:`RedisWriter.lost_writes`), never dropped silently. The next operation connects again: a
Redis back up is used again without a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final, Generic, TypeVar

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError, RedisClusterException, RedisError, ResponseError

from openrtm.store import redis_scripts
from openrtm.store.base import StoreError
from openrtm.store.redis_keys import RedisKeys

__all__ = ["DEFAULT_TIMEOUT_S", "Command", "Conversation", "Pipelined", "RedisCalls", "RedisWriter"]

logger = logging.getLogger("openrtm.store")

T = TypeVar("T")

Command = tuple[str | bytes | int | float, ...]
"""One Redis command and its arguments, as ``execute_command`` takes them."""

DEFAULT_TIMEOUT_S: Final = 2.0
"""How long one round trip may take before the operation fails: far above a healthy Redis's
latency (well under a millisecond on a LAN), far below a client's own request timeout."""

_MAX_BATCH: Final = 512
"""Operations per pipeline: enough to amortize the round trip, small enough to bound a reply."""


class Pipelined(Generic[T]):
    """An operation of one round trip: its commands, and what its result is made of.

    ``parse`` gets the replies of ``commands`` (in order) and returns the result, or raises
    what the caller must see (such as :class:`StoreError` for a duplicate media id).
    """

    __slots__ = ("commands", "parse")

    def __init__(self, commands: Sequence[Command], parse: Callable[[list[Any]], T]) -> None:
        self.commands = commands
        self.parse = parse


Conversation = Callable[["RedisCalls"], Awaitable[T]]
"""An operation of several round trips, run alone with the writer's :class:`RedisCalls`."""

_Item = tuple["Pipelined[Any] | Conversation[Any]", "asyncio.Future[Any] | None"]


def _failed(detail: str, cause: BaseException) -> StoreError:
    err = StoreError(detail)
    err.__cause__ = cause
    return err


def _script_missing(reply: object) -> bool:
    # redis-py raises NoScriptError for a lone EVALSHA; in a pipeline it is a ResponseError.
    return isinstance(reply, ResponseError) and (
        isinstance(reply, NoScriptError) or str(reply).startswith("NOSCRIPT")
    )


class RedisCalls:
    """Round trips to Redis, each bounded by a timeout, failing as :class:`StoreError`.

    Args:
        client: the redis-py client (its pool reconnects after a failure).
        timeout: seconds one round trip may take.
    """

    def __init__(self, client: Redis | RedisCluster, timeout: float) -> None:
        self.client = client
        self.timeout = timeout
        self._scripts_loaded = False

    async def load_scripts(self) -> None:
        """Load every script (at open, and before the first round trip after a failure)."""
        if isinstance(self.client, RedisCluster):
            replies = await self._load_on_every_master()
        else:
            replies = await self.send([("SCRIPT", "LOAD", s.source) for s in redis_scripts.ALL])
        for script, reply in zip(redis_scripts.ALL, replies, strict=True):
            if isinstance(reply, ResponseError):  # not Redis ≥ 7, or not Redis at all
                raise _failed(f"redis refused the script {script.name}: {reply}", reply)
        self._scripts_loaded = True

    async def _load_on_every_master(self) -> list[Any]:
        # On Redis Cluster a script runs on the master of its keys: each is loaded on all of
        # them (redis-py sends a lone SCRIPT LOAD to every master; in a pipeline, to one).
        cluster = self.client
        assert isinstance(cluster, RedisCluster)
        replies: list[Any] = []
        try:
            async with asyncio.timeout(self.timeout):
                for script in redis_scripts.ALL:
                    try:
                        replies.append(
                            await cluster.execute_command("SCRIPT", "LOAD", script.source)
                        )
                    except ResponseError as exc:
                        replies.append(exc)
        except TimeoutError as exc:
            raise _failed(f"redis did not answer in {self.timeout:g} s", exc) from exc
        except (RedisError, RedisClusterException, OSError) as exc:
            raise _failed(f"redis is unreachable: {exc}", exc) from exc
        return replies

    async def send(self, commands: Sequence[Command]) -> list[Any]:
        """Send ``commands`` as one pipeline; return their replies, errors as values.

        Raises:
            StoreError: Redis is unreachable, or did not answer in time.
        """
        if not commands:
            return []
        if not self._scripts_loaded and commands[0][:2] != ("SCRIPT", "LOAD"):
            await self.load_scripts()
        pipe = self.client.pipeline(transaction=False)
        for command in commands:
            pipe.execute_command(*command)
        try:
            async with asyncio.timeout(self.timeout):
                return await pipe.execute(raise_on_error=False)
        except TimeoutError as exc:
            self._scripts_loaded = False
            raise _failed(f"redis did not answer in {self.timeout:g} s", exc) from exc
        except (RedisError, RedisClusterException, OSError) as exc:
            # A restarted Redis may have lost its script cache: load the scripts again first.
            self._scripts_loaded = False
            raise _failed(f"redis is unreachable: {exc}", exc) from exc

    async def call(self, commands: Sequence[Command]) -> list[Any]:
        """:meth:`send`, raising the first error reply as :class:`StoreError`.

        For a conversation's steps: if a script was missing, the scripts are loaded and the
        whole step is sent again, so a step may only hold idempotent commands besides its
        ``EVALSHA`` calls (none of which ran).
        """
        replies = await self.send(commands)
        if any(_script_missing(reply) for reply in replies):
            await self.load_scripts()
            replies = await self.send(commands)
        for reply in replies:
            if isinstance(reply, ResponseError):
                raise _failed("redis refused a command", reply)
        return replies


class RedisWriter:
    """Runs a store's operations in order, batched into pipelines, on one task.

    :class:`~openrtm.store.redis.RedisStore` adds the domain operations on top: each is a
    :class:`Pipelined` or a :data:`Conversation` handed to :meth:`_submit` (awaited) or
    :meth:`_enqueue` (fire and forget).

    Args:
        client: the redis-py asyncio client.
        prefix: the first part of every key (:class:`~openrtm.store.redis_keys.RedisKeys`).
        timeout: seconds one round trip may take.
        owns_client: close ``client`` when the store closes.
    """

    def __init__(
        self,
        client: Redis | RedisCluster,
        *,
        prefix: str = "openrtm",
        timeout: float = DEFAULT_TIMEOUT_S,
        owns_client: bool = False,
    ) -> None:
        self.keys = RedisKeys(prefix)
        self._calls = RedisCalls(client, timeout)
        self._owns_client = owns_client
        self._staged: list[_Item] = []
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._opener: asyncio.Future[None] | None = None
        self._closer: asyncio.Future[None] | None = None
        self._open = False
        self._stopping = False
        self.lost_writes = 0
        """Fire-and-forget operations that failed (each is also logged at ERROR)."""
        self.pipelines = 0
        """Pipelines sent for staged operations (group commit makes it small)."""

    @property
    def client(self) -> Redis | RedisCluster:
        """The redis-py client the store talks through."""
        return self._calls.client

    async def open(self) -> None:
        if self._closer is not None:
            raise StoreError("the store is closed")
        if self._opener is None:
            # One task opens, however many callers wait for it.
            self._opener = asyncio.ensure_future(self._start())
        try:
            await asyncio.shield(self._opener)
        except StoreError:
            self._opener = None  # Redis was unreachable: open() may be called again
            raise

    async def _start(self) -> None:
        await self._calls.load_scripts()  # the first round trip: Redis is there, and ready
        if self._closer is not None:  # closed while opening
            raise StoreError("the store is closed")
        self._worker = asyncio.get_running_loop().create_task(self._run(), name="openrtm-store")
        self._open = True

    async def close(self) -> None:
        if self._closer is None:
            self._open = False
            # A task, so that cancelling one caller cannot leave the store half closed.
            self._closer = asyncio.ensure_future(self._shutdown())
        await asyncio.shield(self._closer)

    async def flush(self) -> None:
        # Operations run in order: once this empty one is done, so is everything before it.
        await self._submit(Pipelined((), lambda replies: None))

    # -- the seam the domain operations are written with ------------------------------------

    def _enqueue(self, op: Pipelined[Any] | Conversation[Any]) -> None:
        """Stage ``op`` without waiting; a failure is logged and counted."""
        if not self._open:
            raise StoreError("the store is not open")
        self._stage((op, None))

    def _submit(self, op: Pipelined[T] | Conversation[T]) -> asyncio.Future[T]:
        """Stage ``op``; the future resolves with its result once Redis has answered."""
        if not self._open:
            raise StoreError("the store is not open")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._stage((op, future))
        return future

    def _stage(self, item: _Item) -> None:
        self._staged.append(item)
        self._wake.set()

    # -- the writer task --------------------------------------------------------------------

    async def _shutdown(self) -> None:
        if self._opener is not None:
            with contextlib.suppress(StoreError):
                await self._opener  # an open in progress ends first (and then fails)
        worker = self._worker
        if worker is not None:
            self._stopping = True
            self._wake.set()
            await worker  # runs what is staged, then ends
            logger.info("store closed prefix=%s", self.keys.prefix)
        if self._owns_client:
            await self._calls.client.aclose()

    async def _run(self) -> None:
        while True:
            if not self._staged:
                if self._stopping:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            items, self._staged = self._staged, []
            try:
                await self._execute(items)
            except Exception:  # a bug here must not end the writer and hang every caller
                logger.exception("store writer failed")
                self._fail(items, StoreError("the store failed"))

    async def _execute(self, items: list[_Item]) -> None:
        batch: list[_Item] = []
        for item in items:
            if isinstance(item[0], Pipelined):
                batch.append(item)
                if len(batch) >= _MAX_BATCH:
                    await self._run_pipelined(batch)
                    batch = []
                continue
            if batch:
                await self._run_pipelined(batch)
                batch = []
            await self._converse(item)
        if batch:
            await self._run_pipelined(batch)

    async def _run_pipelined(self, batch: list[_Item], *, again: bool = False) -> None:
        ops: list[Pipelined[Any]] = [op for op, _ in batch]  # type: ignore[misc]
        commands = [command for op in ops for command in op.commands]
        try:
            replies = await self._calls.send(commands)
        except StoreError as exc:
            self._fail(batch, exc)
            return
        self.pipelines += 1
        retry: list[_Item] = []
        start = 0
        for op, (_, future) in zip(ops, batch, strict=True):
            mine = replies[start : start + len(op.commands)]
            start += len(op.commands)
            if not again and any(_script_missing(reply) for reply in mine):
                retry.append((op, future))  # none of its scripts ran: run it again below
                continue
            error = next((r for r in mine if isinstance(r, ResponseError)), None)
            if error is not None:
                self._settle(future, _failed("redis refused a command", error), None)
                continue
            try:
                value = op.parse(mine)
            except Exception as exc:
                self._settle(future, exc, None)
            else:
                self._settle(future, None, value)
        if retry:
            # Redis lost its scripts (a restart, a failover, SCRIPT FLUSH) without our seeing
            # the connection drop: load them and run those operations again, in their order.
            try:
                await self._calls.load_scripts()
            except StoreError as exc:
                self._fail(retry, exc)
                return
            await self._run_pipelined(retry, again=True)

    async def _converse(self, item: _Item) -> None:
        op, future = item
        conversation: Conversation[Any] = op  # type: ignore[assignment]
        try:
            value = await conversation(self._calls)
        except Exception as exc:
            self._settle(future, exc, None)
        else:
            self._settle(future, None, value)

    def _fail(self, items: list[_Item], exc: StoreError) -> None:
        for _, future in items:
            self._settle(future, exc, None)

    def _settle(
        self, future: asyncio.Future[Any] | None, exc: BaseException | None, value: Any
    ) -> None:
        if future is None:
            if exc is not None:
                self.lost_writes += 1
                if isinstance(exc, StoreError):  # Redis down or slow: said plainly, once each
                    logger.error("store write lost (not awaited): %s", exc)
                else:  # a bug: its traceback is wanted
                    logger.error("store operation failed (not awaited)", exc_info=exc)
            return
        if future.done():  # its caller was cancelled (or a writer bug failed it already)
            return
        if exc is not None:
            future.set_exception(exc)
        else:
            future.set_result(value)
