"""Bounded Redis round trips: a pipeline of commands and scripts, or nothing but a clear error.

Scripts go as EVALSHA inside plain pipelines (no MULTI, no SCRIPT EXISTS per call, as redis-py's
``Script`` in a pipeline would add): one write and one read per operation. A NOSCRIPT reply
(Redis restarted without its data, or SCRIPT FLUSH) loads the scripts and runs the pipeline
again, which is safe because a NOSCRIPT command did nothing and every other command the
engine pipelines is idempotent (SADD, SREM, HLEN, EXISTS...). On Redis Cluster the client
is redis-py's ``RedisCluster``: a pipeline is split by master (each script's keys share one
slot: keys.py), and the scripts are loaded on every master. Every failure or a wait longer
than the timeout becomes :class:`~openrtm.engines.base.EngineUnavailable`.
"""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import NoScriptError

from openrtm.engines.base import EngineUnavailable
from openrtm.engines.redis.errors import REDIS_ERRORS

__all__ = ["Commands", "Script"]


class Script:
    """A Lua script and its SHA1, for EVALSHA."""

    __slots__ = ("sha", "source")

    def __init__(self, source: str) -> None:
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()


Call = tuple[Any, ...]


class Commands:
    """Runs the engine's commands on a client, each operation bounded by ``timeout``."""

    def __init__(self, client: Redis | RedisCluster, scripts: list[Script], timeout: float) -> None:
        self.client = client
        self._scripts = scripts
        self.timeout = timeout

    @staticmethod
    def script(script: Script, keys: list[str], args: list[Any]) -> Call:
        """A call of ``script`` for :meth:`run`."""
        return ("EVALSHA", script.sha, len(keys), *keys, *args)

    async def load_scripts(self) -> None:
        """Load every script (at start, and after a NOSCRIPT)."""
        if isinstance(self.client, RedisCluster):
            # redis-py sends a lone SCRIPT LOAD to every master (in a pipeline, to one node):
            # a script runs on the master of its keys' slot.
            for script in self._scripts:
                await self.client.execute_command("SCRIPT", "LOAD", script.source)
            return
        pipe = self.client.pipeline(transaction=False)
        for script in self._scripts:
            pipe.execute_command("SCRIPT", "LOAD", script.source)
        await pipe.execute()

    async def load_scripts_checked(self) -> None:
        """:meth:`load_scripts`, bounded, failing with EngineUnavailable."""
        try:
            async with asyncio.timeout(self.timeout):
                await self.load_scripts()
        except REDIS_ERRORS as exc:
            raise EngineUnavailable(f"redis: scripts: {exc or type(exc).__name__}") from None

    async def run(self, what: str, *calls: Call) -> list[Any]:
        """Send ``calls`` in one pipeline; their replies, or EngineUnavailable(``what``)."""
        try:
            async with asyncio.timeout(self.timeout):
                replies = await self._pipeline(calls)
                if any(isinstance(r, NoScriptError) for r in replies):
                    await self.load_scripts()
                    replies = await self._pipeline(calls)
        except REDIS_ERRORS as exc:
            raise EngineUnavailable(f"redis: {what}: {exc or type(exc).__name__}") from None
        for reply in replies:
            if isinstance(reply, Exception):
                raise EngineUnavailable(f"redis: {what}: {reply}")
        return replies

    async def one(self, what: str, *call: Any) -> Any:
        """Run one command (no pipeline); its reply, or EngineUnavailable(``what``)."""
        return (await self.run(what, call))[0]

    async def _pipeline(self, calls: tuple[Call, ...]) -> list[Any]:
        if len(calls) == 1:
            try:
                return [await self.client.execute_command(*calls[0])]  # type: ignore[no-untyped-call,unused-ignore]
            except NoScriptError as exc:
                return [exc]
        pipe = self.client.pipeline(transaction=False)
        for call in calls:
            pipe.execute_command(*call)
        return list(await pipe.execute(raise_on_error=False))
