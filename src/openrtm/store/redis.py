"""The store of a cluster of nodes: Redis, through one ordered writer task (design §2; #15).

:class:`RedisStore` is the :class:`~openrtm.store.base.Store` that nodes sharing a Redis use:
what one node writes, every node reads. It is thin on purpose, like the SQLite store: the writer
(:mod:`openrtm.store.redis_writer`) owns the order, the pipelining, the timeouts and the
lifecycle; the keys are in :mod:`~openrtm.store.redis_keys`, the atomic steps in
:mod:`~openrtm.store.redis_scripts`, and each domain is a module of plain functions that build
operations (:mod:`~openrtm.store.redis_inbox`, :mod:`~openrtm.store.redis_events`,
:mod:`~openrtm.store.redis_history`, :mod:`~openrtm.store.redis_attributes`,
:mod:`~openrtm.store.redis_media`). A method here only picks how its operation runs: awaited
until Redis has answered (``_submit``) or fire and forget (``_enqueue``).

Durability (issue #15 item 4): an awaited write (inbox put, channel attributes, media) returns
once Redis has answered it; a fire-and-forget one (events, acks, history, purges) is sent in
the next event-loop iteration, in order with the rest. Redis answers once the write is in its
append-only file: with ``appendonly yes`` and ``appendfsync always`` what was answered survives
a crash of Redis too; with ``everysec``, up to a second of it may not (docs/deployment.md).
"""

from __future__ import annotations

import secrets

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from openrtm.store import (
    redis_attributes,
    redis_events,
    redis_history,
    redis_inbox,
    redis_media,
    redis_scripts,
)
from openrtm.store.base import (
    EVENTS_PER_TAKE,
    INBOX_CAP,
    AttributeCheck,
    ChannelAttributes,
    ChannelEventRecord,
    HistoryOrder,
    HistoryRecord,
    InboxEntry,
    MediaRecord,
    UserEventRecord,
    check_history_query,
    check_limit,
)
from openrtm.store.redis_writer import DEFAULT_TIMEOUT_S, Pipelined, RedisWriter

__all__ = ["RedisStore"]


class RedisStore(RedisWriter):
    """A :class:`~openrtm.store.base.Store` on Redis ≥ 7 (or Valkey), shared by many nodes.

    Make one with :meth:`from_url`; or pass a redis-py asyncio client made with
    ``retry=Retry(NoBackoff(), 0)`` (a pipeline retried by the client after a lost reply would
    run twice) and a connect timeout.

    Args:
        client: the redis-py asyncio client (bytes replies: ``decode_responses=False``).
        prefix: the first part of every key (several deployments may share a Redis).
        timeout: seconds one round trip may take before the operation fails.
        owns_client: close ``client`` when the store closes.
    """

    @classmethod
    def from_url(
        cls, url: str, *, prefix: str = "openrtm", timeout: float = DEFAULT_TIMEOUT_S
    ) -> RedisStore:
        """A store on the Redis at ``url`` (``redis://[:password@]host:port/db``, ``rediss://``,
        ``unix://``), with its own connection pool, closed with the store."""
        client = Redis.from_url(
            url,
            # No socket timeout: redis-py would arm a timer per reply (a tenth of a put's CPU
            # time); the writer bounds each whole round trip instead (RedisCalls.send).
            socket_timeout=None,
            socket_connect_timeout=timeout,
            retry=Retry(NoBackoff(), 0),
            decode_responses=False,
        )
        return cls(client, prefix=prefix, timeout=timeout, owns_client=True)

    @classmethod
    def from_cluster(
        cls, urls: list[str], *, prefix: str = "openrtm", timeout: float = DEFAULT_TIMEOUT_S
    ) -> RedisStore:
        """A store on the Redis Cluster of the seed nodes ``urls`` (``redis://host:port``,
        ``rediss://``; credentials and TLS of the first), with its own cluster client.

        Every script's keys share one hash slot (redis_keys.py), so each operation runs as
        on one Redis; a pipeline of operations is split by master, and the global sets are
        touched by plain commands only.
        """
        from openrtm.redis_cluster import cluster_client

        client = cluster_client(urls, timeout=timeout, socket_timeout=None)
        return cls(client, prefix=prefix, timeout=timeout, owns_client=True)

    # -- REST user and channel events (spec §7.5) ------------------------------------------

    def record_user_event(self, app_id: str, event: UserEventRecord) -> None:
        self._enqueue(redis_events.record(self.keys.user_events(app_id), event))

    def record_channel_event(self, app_id: str, event: ChannelEventRecord) -> None:
        self._enqueue(redis_events.record(self.keys.channel_events(app_id), event))

    async def take_user_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[UserEventRecord]:
        check_limit(limit)
        return await self._submit(redis_events.take_user(self.keys.user_events(app_id), limit))

    async def take_channel_events(
        self, app_id: str, limit: int = EVENTS_PER_TAKE
    ) -> list[ChannelEventRecord]:
        check_limit(limit)
        key = self.keys.channel_events(app_id)
        return await self._submit(redis_events.take_channel(key, limit))

    # -- offline messages (spec §6.2) ------------------------------------------------------

    async def inbox_put(
        self, app_id: str, receiver: str, sender: str, mid: str, payload: bytes, ts: int
    ) -> None:
        await self._submit(redis_inbox.put(self.keys, app_id, receiver, sender, mid, payload, ts))

    async def inbox_peek(
        self, app_id: str, receiver: str, now_ms: int, limit: int = INBOX_CAP
    ) -> list[InboxEntry]:
        # No "nobody has mail" shortcut from memory, unlike the SQLite store: another node
        # may have stored mail for this receiver. An empty inbox costs one ZRANGE.
        check_limit(limit)
        return await self._submit(redis_inbox.peek(self.keys, app_id, receiver, now_ms, limit))

    def inbox_ack(self, app_id: str, receiver: str, up_to_seq: int) -> None:
        self._enqueue(redis_inbox.ack(self.keys, app_id, receiver, up_to_seq))

    def purge_expired(self, now_ms: int) -> None:
        self._enqueue(redis_inbox.purge_expired(self.keys, now_ms))

    # -- message history (spec §6.3, §7.4) -------------------------------------------------

    def record_history(self, app_id: str, record: HistoryRecord) -> None:
        self._enqueue(redis_history.record(self.keys, app_id, record))

    # -- shared REST state (spec §5.4, §7.4) -----------------------------------------------

    async def count_call(self, app_id: str, budget: str, window_ms: int) -> int:
        key = self.keys.call_count(app_id, budget)
        command = ("EVALSHA", redis_scripts.CALL_COUNT.sha, 1, key, window_ms)
        return await self._submit(Pipelined([command], lambda replies: int(replies[0])))

    async def query_handle_create(
        self, app_id: str, handle: str, ttl_ms: int, max_handles: int
    ) -> int | None:
        command = (
            "EVALSHA",
            redis_scripts.QUERY_HANDLE_CREATE.sha,
            2,
            self.keys.query_handle(app_id, handle),
            self.keys.query_handles(app_id),
            handle,
            ttl_ms,
            max_handles,
        )
        return await self._submit(
            Pipelined([command], lambda r: None if int(r[0]) < 0 else int(r[0]))
        )

    async def query_handle_finish(self, app_id: str, handle: str, result: bytes) -> None:
        key = self.keys.query_handle(app_id, handle)
        command = ("EVALSHA", redis_scripts.QUERY_HANDLE_FINISH.sha, 1, key, result)
        await self._submit(Pipelined([command], lambda replies: None))

    async def query_handle_get(self, app_id: str, handle: str) -> bytes | None:
        key = self.keys.query_handle(app_id, handle)
        return await self._submit(
            Pipelined([("GET", key)], lambda r: None if r[0] is None else bytes(r[0]))
        )

    async def secret(self, name: str) -> bytes:
        # The first node to ask makes it (SET NX); every node reads back the one that won
        # (GET after it, in the same round trip). Not under an App: it is the deployment's,
        # like its nodes.
        key = self.keys.secret(name)
        fresh = secrets.token_bytes(32)
        return await self._submit(
            Pipelined([("SET", key, fresh, "NX"), ("GET", key)], lambda r: bytes(r[1]))
        )

    async def put_history(self, app_id: str, record: HistoryRecord) -> None:
        # The pipeline's reply is Redis's acknowledgement (with appendfsync always, on disk).
        await self._submit(redis_history.record(self.keys, app_id, record))

    async def history(
        self, app_id: str, start_ms: int, end_ms: int, limit: int
    ) -> list[HistoryRecord]:
        check_limit(limit)
        return await self._submit(redis_history.query(self.keys, app_id, start_ms, end_ms, limit))

    async def history_query(
        self,
        app_id: str,
        *,
        source: str | None,
        destination: str | None,
        start_ms: int,
        end_ms: int,
        order: HistoryOrder,
        offset: int,
        limit: int,
    ) -> list[HistoryRecord]:
        check_history_query(source, destination, order)
        check_limit(limit)
        if offset < 0:
            raise ValueError(f"offset must be at least 0, got {offset}")
        return await self._submit(
            redis_history.select(
                self.keys,
                app_id,
                source=source,
                destination=destination,
                start_ms=start_ms,
                end_ms=end_ms,
                order=order,
                offset=offset,
                limit=limit,
            )
        )

    async def history_count(
        self,
        app_id: str,
        *,
        source: str | None,
        destination: str | None,
        start_ms: int,
        end_ms: int,
    ) -> int:
        check_history_query(source, destination)
        return await self._submit(
            redis_history.count(
                self.keys,
                app_id,
                source=source,
                destination=destination,
                start_ms=start_ms,
                end_ms=end_ms,
            )
        )

    def purge_history(self, before_ms: int) -> None:
        self._enqueue(redis_history.purge(self.keys, before_ms))

    # -- channel attributes (spec §6.7) ----------------------------------------------------
    # The maps and lists are copied now, on the call: the operation runs later.

    async def set_channel_attributes(
        self,
        app_id: str,
        channel: str,
        attrs: dict[str, str],
        *,
        user_id: str,
        ts: int,
        check: AttributeCheck,
    ) -> ChannelAttributes:
        return await self._submit(
            redis_attributes.replace(self.keys, app_id, channel, dict(attrs), user_id, ts, check)
        )

    async def update_channel_attributes(
        self,
        app_id: str,
        channel: str,
        attrs: dict[str, str],
        *,
        user_id: str,
        ts: int,
        check: AttributeCheck,
    ) -> ChannelAttributes:
        return await self._submit(
            redis_attributes.update(self.keys, app_id, channel, dict(attrs), user_id, ts, check)
        )

    async def delete_channel_attributes(
        self, app_id: str, channel: str, keys: list[str], *, check: AttributeCheck | None = None
    ) -> ChannelAttributes:
        return await self._submit(
            redis_attributes.delete(self.keys, app_id, channel, frozenset(keys), check)
        )

    async def clear_channel_attributes(self, app_id: str, channel: str) -> ChannelAttributes:
        return await self._submit(redis_attributes.clear(self.keys, app_id, channel))

    async def get_channel_attributes(
        self, app_id: str, channel: str, keys: list[str] | None = None
    ) -> ChannelAttributes:
        wanted = None if keys is None else frozenset(keys)
        return await self._submit(redis_attributes.get(self.keys, app_id, channel, wanted))

    async def channels_with_attributes(self, app_id: str | None = None) -> list[tuple[str, str]]:
        return await self._submit(redis_attributes.channels(self.keys, app_id))

    # -- media objects (spec §1.6, §5.2) ---------------------------------------------------

    async def media_put(self, app_id: str, record: MediaRecord) -> None:
        await self._submit(redis_media.put(self.keys, app_id, record))

    async def media_get(self, app_id: str, media_id: str, now_ms: int) -> MediaRecord | None:
        return await self._submit(redis_media.get(self.keys, app_id, media_id, now_ms))

    async def media_take_expired(self, now_ms: int, limit: int = 1000) -> list[tuple[str, str]]:
        check_limit(limit)
        return await self._submit(redis_media.take_expired(self.keys, now_ms, limit))

    async def media_ids(self) -> set[tuple[str, str]]:
        return await self._submit(redis_media.ids(self.keys))
