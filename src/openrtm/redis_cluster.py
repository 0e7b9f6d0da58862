"""The Redis Cluster client of the engine and the store (issue #15: ``--redis-cluster``).

Both talk to a cluster through redis-py's :class:`~redis.asyncio.cluster.RedisCluster`, made
here alike: the seed nodes given (any masters: the rest are discovered from ``CLUSTER
SLOTS``), credentials and TLS from the first seed URL (a cluster's nodes share them), RESP2,
and no retries of its own (each caller bounds its round trips and reports failures itself).
"""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from redis.asyncio.cluster import ClusterNode, RedisCluster
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

__all__ = ["cluster_client"]


def cluster_client(
    urls: list[str], *, timeout: float, socket_timeout: float | None
) -> RedisCluster:
    """redis-py's cluster client on the seed nodes ``urls``, retrying nothing by itself.

    Nothing is connected before ``initialize()`` (or the first command).

    Raises:
        ValueError: no seed, or one that is not ``redis://HOST:PORT`` / ``rediss://``, or
            names a database other than 0 (a cluster has only database 0).
    """
    if not urls:
        raise ValueError("a Redis Cluster needs at least one seed node")
    seeds = [urlsplit(url) for url in urls]
    for number, seed in enumerate(seeds, 1):
        if seed.scheme not in ("redis", "rediss") or not seed.hostname:
            # Not the URL itself: it may hold a password.
            raise ValueError(
                f"Redis Cluster seed {number} is not redis://HOST:PORT or rediss://HOST:PORT"
            )
        if seed.path not in ("", "/", "/0"):
            raise ValueError("a Redis Cluster has only database 0")
    first = seeds[0]
    return RedisCluster(
        startup_nodes=[ClusterNode(s.hostname or "", s.port or 6379) for s in seeds],
        username=unquote(first.username) if first.username else None,
        password=unquote(first.password) if first.password else None,
        ssl=first.scheme == "rediss",
        socket_timeout=socket_timeout,
        socket_connect_timeout=timeout,
        retry=Retry(NoBackoff(), 0),
        protocol=2,
    )
