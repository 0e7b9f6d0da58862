"""What a node runs on, chosen from its configuration (design §2: the Engine and Store seams).

Without ``redis_url``: the memory engine and the SQLite store, one node. With it: the Redis
engine (Broker + Presence) and the Redis store, shared by every node on that Redis
(docs/deployment.md). With ``redis_cluster`` (seed nodes): the same on Redis Cluster, with
sharded PUB/SUB. The Node never learns which: it gets the three objects.

Redis is checked before the node starts (:meth:`Backends.preflight`), so that an unreachable
or misconfigured Redis stops ``openrtm serve`` with one line and an exit status instead of a
traceback or a node that accepts logins it cannot serve; and :meth:`Backends.ready` answers
``GET /readyz`` while the node runs, so that a load balancer takes a node out of rotation
while its Redis is unreachable.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from openrtm.engines.base import Broker, Presence
from openrtm.engines.memory import MemoryBroker, MemoryPresence
from openrtm.server.config import ServerConfig, redact_url
from openrtm.store.base import Store
from openrtm.store.sqlite import SqliteStore

__all__ = ["PROBE_TIMEOUT", "BackendError", "Backends", "build_backends"]

log = logging.getLogger("openrtm.backends")

PROBE_TIMEOUT = 1.0
"""Seconds a readiness probe waits for Redis's PONG: well under a load balancer's own check
timeout, so that a slow Redis reads as "not ready" rather than as a hung node."""

_PREFLIGHT_TIMEOUT = 5.0
"""Seconds ``openrtm serve`` waits for Redis at start before giving up."""


class BackendError(Exception):
    """A backend the node needs is unusable at start (Redis unreachable, refused, wrong URL).

    Its message is one line for the operator, with any password of the URL masked.
    """


@dataclass(slots=True)
class Backends:
    """The engine (Broker + Presence) and the Store of one node, and their Redis, if any.

    Attributes:
        broker: routes events to users and channels wherever they are connected.
        presence: who is logged in and in which channels, across nodes.
        store: inbox, attributes, events, history, media records.
        redis_url: the shared Redis, or None for a single node (or a Redis Cluster).
    """

    broker: Broker
    presence: Presence
    store: Store
    redis_url: str | None = None
    _probe: _RedisProbe | _ClusterProbe | None = None

    async def preflight(self) -> None:
        """Check that Redis answers before the node starts; no-op for a single node.

        Raises:
            BackendError: Redis cannot be reached or refuses us (authentication, TLS, DB).
        """
        if self._probe is not None:
            await self._probe.check(_PREFLIGHT_TIMEOUT)

    async def ready(self) -> bool:
        """Whether the shared backends answer now (``GET /readyz``); always True alone."""
        if self._probe is None:
            return True
        try:
            await self._probe.check(PROBE_TIMEOUT)
        except BackendError:
            return False
        return True

    async def close(self) -> None:
        """Release what the Backends own beyond the Node's objects (the probe's connection).

        The broker, presence and store are closed by the Node (:meth:`Node.stop`).
        """
        if self._probe is not None:
            await self._probe.close()


def build_backends(config: ServerConfig) -> Backends:
    """The memory engine and SQLite store, or with ``config.redis_url`` the Redis ones.

    Nothing is connected yet: the Node opens the store and starts the broker.
    """
    url = config.redis_url
    if config.redis_cluster:
        return _cluster_backends(config)
    if url is None:
        return Backends(MemoryBroker(), MemoryPresence(), SqliteStore(config.store_path))
    # Imported here: a single node never loads redis-py.
    from openrtm.engines.redis import RedisEngine
    from openrtm.store.redis import RedisStore

    engine = RedisEngine.from_url(url, node_id=config.node_id, presence_ttl=config.presence_ttl)
    store = RedisStore.from_url(url)
    return Backends(engine.broker, engine.presence, store, url, _RedisProbe(url))


def _cluster_backends(config: ServerConfig) -> Backends:
    from openrtm.engines.redis import RedisEngine
    from openrtm.store.redis import RedisStore

    seeds = list(config.redis_cluster)
    engine = RedisEngine.from_cluster(
        seeds, node_id=config.node_id, presence_ttl=config.presence_ttl
    )
    store = RedisStore.from_cluster(seeds)
    return Backends(engine.broker, engine.presence, store, None, _ClusterProbe(seeds))


class _ClusterProbe:
    """Readiness on Redis Cluster: the cluster says ``cluster_state:ok`` and every master
    answers PING (a node whose users' slots are unreachable cannot serve them)."""

    def __init__(self, urls: list[str]) -> None:
        from openrtm.redis_cluster import cluster_client

        self._what = "Redis Cluster " + ", ".join(redact_url(u) for u in urls)
        self._client = cluster_client(urls, timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)
        self._lock = asyncio.Lock()

    async def check(self, timeout: float) -> None:
        import redis.exceptions
        from redis.asyncio.cluster import RedisCluster

        try:
            async with self._lock:
                async with asyncio.timeout(timeout):
                    await self._client.initialize()  # no-op once done, unless asked again
                    info = await self._client.execute_command("CLUSTER INFO")
                    await self._client.execute_command("PING", target_nodes=RedisCluster.PRIMARIES)
        except TimeoutError:
            raise BackendError(f"{self._what} did not answer within {timeout:g} s") from None
        except (
            redis.exceptions.RedisError,
            redis.exceptions.RedisClusterException,
            OSError,
        ) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BackendError(f"cannot use {self._what}: {reason}") from None
        state = info.get("cluster_state") if isinstance(info, dict) else None
        if state != "ok":
            raise BackendError(f"{self._what}: cluster_state is {state}, not ok")

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()


class _RedisProbe:
    """One connection of its own that PINGs Redis: readiness must not queue behind traffic."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self._url = url
        self._client = redis.asyncio.Redis.from_url(
            url,
            socket_timeout=PROBE_TIMEOUT,
            socket_connect_timeout=PROBE_TIMEOUT,
            max_connections=1,
            retry_on_timeout=False,
        )
        self._lock = asyncio.Lock()  # one probe at a time on the one connection

    async def check(self, timeout: float) -> None:
        import redis.exceptions

        try:
            async with self._lock:
                async with asyncio.timeout(timeout):
                    await self._client.ping()
        except TimeoutError:
            raise BackendError(
                f"Redis at {redact_url(self._url)} did not answer within {timeout:g} s"
            ) from None
        except (redis.exceptions.RedisError, OSError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise BackendError(f"cannot use Redis at {redact_url(self._url)}: {reason}") from None

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self._client.aclose()
