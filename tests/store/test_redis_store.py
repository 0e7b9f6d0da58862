"""What only the Redis store promises: durability across kill -9, failure without hangs, nodes
sharing one Redis, its key layout, and its cost in Redis commands (issue #15).

The behaviour every store shares is the contract suite (``test_store_contract*.py``), which runs
on Redis too (``tests/store/conftest.py``). These tests start their own ``redis-server``
(``redis_server`` fixture): they kill it, pause it and restart it.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from openrtm.store import (
    AttributeRefused,
    ChannelAttribute,
    HistoryRecord,
    StoreError,
    UserEventRecord,
)
from openrtm.store.redis import RedisStore
from tests.redis_server import RedisServer
from tests.store.conftest import timeout

APP = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000_000


def allow(merged: dict[str, str]) -> str | None:
    return None


async def raw(server: RedisServer) -> Redis:
    return Redis.from_url(server.url)


CHILD = textwrap.dedent(
    """
    import asyncio, sys
    from openrtm.store import HistoryRecord, UserEventRecord
    from openrtm.store.redis import RedisStore

    async def main(url: str, n: int) -> None:
        store = RedisStore.from_url(url, prefix="node")
        await store.open()

        async def late(s: int) -> None:  # goes on until killed, mid-pipeline
            for j in range(10**9):
                await store.inbox_put("app", f"late{s}-{j // 100}", "alice", f"m{j}", b"", j)

        tasks = [asyncio.create_task(late(s)) for s in range(4)]
        for i in range(n):  # each awaited: in Redis (and its AOF) when it returns
            await store.inbox_put("app", f"r{i % 2}", "alice", f"m{i}", b"p%d" % i, i)
        await store.set_channel_attributes(
            "app", "c", {"k": "v"}, user_id="alice", ts=1, check=lambda merged: None
        )
        for i in range(n):
            store.record_history("app", HistoryRecord("alice", "bob", "user", f"h{i}", i))
            store.record_user_event("app", UserEventRecord(f"u{i}", "Login", i))
        await store.flush()
        print("done", flush=True)
        await asyncio.gather(*tasks)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX only")
async def test_acknowledged_writes_survive_kill_9_of_the_node_and_of_redis(
    redis_server: RedisServer,
) -> None:
    """Issue #15 item 4: inbox, attributes, history written before the reply, then lost nowhere.

    The node is killed mid-pipeline, then Redis itself (``appendfsync always``); what the node
    had been answered for is read back by a new node from the restarted Redis.
    """
    n = 150
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, redis_server.url, str(n), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout(4))
        assert line == b"done\n"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        await asyncio.wait_for(child.wait(), timeout())
    await redis_server.kill()
    await redis_server.start()

    store = RedisStore.from_url(redis_server.url, prefix="node")
    await store.open()
    try:
        async with asyncio.timeout(timeout()):
            for r in (0, 1):
                entries = await store.inbox_peek("app", f"r{r}", now_ms=n)
                assert [e.mid for e in entries] == [f"m{i}" for i in range(r, n, 2)]
                assert [e.payload for e in entries] == [b"p%d" % i for i in range(r, n, 2)]
            assert await store.get_channel_attributes("app", "c") == {
                "k": ChannelAttribute("v", "alice", 1)
            }
            history = await store.history("app", 0, n, limit=1_000)
            assert [h.payload for h in history] == [f"h{i}" for i in range(n)]
            events = await store.take_user_events("app")
            assert events == [UserEventRecord(f"u{i}", "Login", i) for i in range(n)]
    finally:
        await store.close()


async def test_redis_down_fails_promptly_and_redis_back_works_again(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    store = RedisStore.from_url(redis_server.url, prefix="p", timeout=1.0)
    await store.open()
    try:
        await store.inbox_put(APP, "bob", "alice", "m0", b"x", NOW)
        await redis_server.kill()

        started = time.monotonic()
        with pytest.raises(StoreError, match="unreachable"):
            await store.inbox_peek(APP, "bob", now_ms=NOW)  # a read
        with pytest.raises(StoreError, match="unreachable"):
            await store.inbox_put(APP, "bob", "alice", "m1", b"x", NOW)  # a write
        with pytest.raises(StoreError, match="unreachable"):  # a conversation
            await store.set_channel_attributes(APP, "c", {"a": "1"}, user_id="u", ts=1, check=allow)
        store.record_history(APP, HistoryRecord("alice", "bob", "user", "lost", NOW))
        with caplog.at_level(logging.ERROR, logger="openrtm.store"), pytest.raises(StoreError):
            await store.flush()
        assert time.monotonic() - started < timeout(0.5)  # refused at once, not hanging
        assert store.lost_writes == 1  # the history record: counted and logged, not silent
        assert [r.exc_info for r in caplog.records] == [None]  # said plainly, no traceback
        assert "store write lost" in caplog.records[0].getMessage()

        await redis_server.start()  # the same port and data: no restart of the store
        async with asyncio.timeout(timeout()):
            await store.inbox_put(APP, "bob", "alice", "m2", b"x", NOW)
            assert [e.mid for e in await store.inbox_peek(APP, "bob", now_ms=NOW)] == ["m0", "m2"]
            attrs = await store.set_channel_attributes(
                APP, "c", {"a": "1"}, user_id="u", ts=1, check=allow
            )
            assert attrs == {"a": ChannelAttribute("1", "u", 1)}
    finally:
        await store.close()


async def test_a_paused_redis_times_out_and_then_serves_again(redis_server: RedisServer) -> None:
    store = RedisStore.from_url(redis_server.url, prefix="p", timeout=0.3)
    await store.open()
    admin = await raw(redis_server)
    try:
        await admin.client_pause(1000, all=True)
        started = time.monotonic()
        with pytest.raises(StoreError, match="did not answer in"):
            await store.inbox_peek(APP, "bob", now_ms=NOW)
        assert time.monotonic() - started < 0.3 + timeout(0.1)
        await asyncio.sleep(1.0)  # the pause ends by itself (CLIENT UNPAUSE would wait too)
        async with asyncio.timeout(timeout()):
            await store.inbox_put(APP, "bob", "alice", "m0", b"x", NOW)
            assert len(await store.inbox_peek(APP, "bob", now_ms=NOW)) == 1
    finally:
        await admin.aclose()
        await store.close()


async def test_an_open_without_redis_fails_and_can_be_retried(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    store = RedisStore.from_url(server.url, prefix="p", timeout=0.5)
    with pytest.raises(StoreError, match="unreachable"):
        await store.open()
    await server.start()
    try:
        await store.open()
        assert await store.inbox_peek(APP, "bob", now_ms=NOW) == []
        await store.close()
    finally:
        await server.kill()


async def test_lost_scripts_are_loaded_again(redis_server: RedisServer) -> None:
    """A Redis that forgot the scripts (a failover, SCRIPT FLUSH) without dropping the link."""
    store = RedisStore.from_url(redis_server.url, prefix="p")
    await store.open()
    admin = await raw(redis_server)
    try:
        async with asyncio.timeout(timeout()):
            await admin.script_flush()
            await store.inbox_put(APP, "bob", "alice", "m0", b"x", NOW)  # pipelined
            store.record_history(APP, HistoryRecord("alice", "bob", "user", "h", NOW))
            assert len(await store.history(APP, NOW, NOW + 1, limit=10)) == 1
            await admin.script_flush()
            attrs = await store.update_channel_attributes(  # a conversation
                APP, "c", {"a": "1"}, user_id="u", ts=1, check=allow
            )
            assert attrs == {"a": ChannelAttribute("1", "u", 1)}
            assert len(await store.inbox_peek(APP, "bob", now_ms=NOW)) == 1
            assert store.lost_writes == 0
    finally:
        await admin.aclose()
        await store.close()


async def test_nodes_on_one_redis_share_everything(redis_server: RedisServer) -> None:
    one = RedisStore.from_url(redis_server.url)
    two = RedisStore.from_url(redis_server.url)
    await one.open()
    await two.open()
    try:
        async with asyncio.timeout(timeout()):
            await one.inbox_put(APP, "bob", "alice", "m0", b"x", NOW)
            (entry,) = await two.inbox_peek(APP, "bob", now_ms=NOW)
            two.inbox_ack(APP, "bob", entry.seq)
            await two.flush()
            assert await one.inbox_peek(APP, "bob", now_ms=NOW) == []
            await one.set_channel_attributes(APP, "c", {"a": "1"}, user_id="u", ts=1, check=allow)
            assert await two.channels_with_attributes() == [(APP, "c")]
            one.record_user_event(APP, UserEventRecord("u", "Login", 1))
            await one.flush()
            assert await two.take_user_events(APP) == [UserEventRecord("u", "Login", 1)]
            assert await one.take_user_events(APP) == []
    finally:
        await one.close()
        await two.close()


async def test_concurrent_writers_on_two_nodes_never_exceed_the_limit(
    redis_server: RedisServer,
) -> None:
    nodes = [RedisStore.from_url(redis_server.url) for _ in range(2)]
    for node in nodes:
        await node.open()

    def at_most_10(merged: dict[str, str]) -> str | None:
        return "too many" if len(merged) > 10 else None

    async def add(i: int) -> object:
        try:
            return await nodes[i % 2].update_channel_attributes(
                APP, "c", {f"k{i:02}": str(i)}, user_id="u", ts=i, check=at_most_10
            )
        except AttributeRefused:
            return None

    try:
        async with asyncio.timeout(timeout(2)):
            results = await asyncio.gather(*(add(i) for i in range(40)))
            final = await nodes[0].get_channel_attributes(APP, "c")
    finally:
        for node in nodes:
            await node.close()
    assert len([r for r in results if r is not None]) == 10
    assert len(final) == 10


async def test_a_write_racing_another_node_is_judged_again_on_the_new_set(
    redis_server: RedisServer,
) -> None:
    """The optimistic write: another node writes between our read and our write, so ours is
    judged again on the new set, which it would take past the limit: it is refused."""
    store = RedisStore.from_url(redis_server.url, prefix="p")
    await store.open()
    other = RedisStore.from_url(redis_server.url, prefix="p")
    await other.open()
    seen: list[dict[str, str]] = []
    intruded = asyncio.Event()

    def check(merged: dict[str, str]) -> str | None:
        seen.append(dict(merged))
        if not intruded.is_set():
            intruded.set()
            # Another node's write lands now, between our read and our write (a blocking
            # client: the check is synchronous, and this is the only way in between).
            import redis

            with redis.Redis.from_url(redis_server.url) as sync:
                sync.incr(store.keys.attributes_version(APP, "c"))
                sync.hset(store.keys.attributes(APP, "c"), "b", b"\x93\xa12\xa1v\x02")
        return "too many" if len(merged) > 3 else None

    try:
        async with asyncio.timeout(timeout()):
            await store.set_channel_attributes(APP, "c", {"a": "1"}, user_id="u", ts=1, check=allow)
            with pytest.raises(AttributeRefused):
                await store.update_channel_attributes(
                    APP, "c", {"x": "9", "y": "9"}, user_id="u", ts=3, check=check
                )
            assert seen == [
                {"a": "1", "x": "9", "y": "9"},
                {"a": "1", "b": "2", "x": "9", "y": "9"},
            ]
            assert await other.get_channel_attributes(APP, "c") == {
                "a": ChannelAttribute("1", "u", 1),
                "b": ChannelAttribute("2", "v", 2),
            }
    finally:
        await store.close()
        await other.close()


async def test_every_key_has_the_prefix_and_the_app_in_its_hash_tag(
    redis_server: RedisServer,
) -> None:
    store = RedisStore.from_url(redis_server.url, prefix="deploy")
    await store.open()
    try:
        await store.inbox_put(APP, "bob", "alice", "m0", b"x", NOW)
        store.record_user_event(APP, UserEventRecord("u", "Login", 1))
        store.record_history(APP, HistoryRecord("alice", "lobby", "channel", "h", NOW))
        await store.set_channel_attributes(APP, "lobby", {"a": "1"}, user_id="u", ts=1, check=allow)
        await store.flush()
        keys = sorted(k.decode() for k in await store.client.keys("*") if isinstance(k, bytes))
    finally:
        await store.close()
    global_keys = {"deploy:inbox:receivers", "deploy:hist:apps", "deploy:attrs:apps"}
    assert set(keys) - global_keys
    for key in keys:
        assert key.startswith("deploy:"), key
        if key not in global_keys:
            tag = key[key.index("{") + 1 : key.index("}")]
            assert tag.split(":")[0] == APP, key
    assert f"deploy:{{{APP}:bob}}:inbox" in keys  # one receiver: one slot
    assert f"deploy:{{{APP}:lobby}}:attrs" in keys  # one channel: one slot
    assert f"deploy:{{{APP}:lobby}}:attrs:ver" in keys


def _calls(stats: dict[str, dict[str, int]]) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(s["calls"]) for name, s in stats.items()}


async def test_redis_commands_per_operation(redis_server: RedisServer) -> None:
    """What one operation costs Redis (INFO commandstats), and that bursts share pipelines.

    Top-level commands are what crosses the network; the commands a script runs inside Redis
    are counted too, apart.
    """
    store = RedisStore.from_url(redis_server.url)
    await store.open()
    admin = await raw(redis_server)
    n = 200
    script_inner = {"time", "get", "set", "zadd", "zcard", "pexpire", "incr", "hset"}

    async def measure(run: Callable[[], Awaitable[object]]) -> tuple[dict[str, int], int]:
        await admin.config_resetstat()
        pipelines = store.pipelines
        await run()
        await store.flush()
        stats = _calls(await admin.info("commandstats"))
        stats.pop("config|resetstat", None)
        stats.pop("info", None)
        return stats, store.pipelines - pipelines

    try:
        # Inbox put: EVALSHA (TIME, GET, SET, ZADD, ZCARD, PEXPIRE inside) + SADD.
        stats, pipelines = await measure(
            lambda: asyncio.gather(
                *(store.inbox_put(APP, f"r{i}", "alice", f"m{i}", b"x", NOW) for i in range(n))
            )
        )
        outer = {k: v for k, v in stats.items() if k not in script_inner}
        assert outer == {"evalsha": n, "sadd": n}
        assert {k: v for k, v in stats.items() if k in script_inner} == {
            k: n for k in ("time", "get", "set", "zadd", "zcard", "pexpire")
        }
        assert pipelines <= 3  # 200 concurrent puts: group commit, not 200 round trips

        peeked = [await store.inbox_peek(APP, f"r{i}", now_ms=NOW) for i in range(n)]

        async def ack() -> None:
            for i, (entry,) in enumerate(peeked):
                store.inbox_ack(APP, f"r{i}", entry.seq)

        stats, pipelines = await measure(ack)
        assert stats == {"zremrangebyscore": n}  # an ack: one command
        assert pipelines == 1  # the acks of one loop iteration, and the flush: one pipeline

        async def record() -> None:
            for i in range(n):
                store.record_history(APP, HistoryRecord("alice", f"u{i}", "user", "h", NOW))

        stats, pipelines = await measure(record)
        outer = {k: v for k, v in stats.items() if k not in script_inner}
        assert outer == {"evalsha": n, "sadd": n}  # a history record: two commands
        inner = {k: stats[k] for k in ("incr", "hset", "zadd")}
        assert inner == {"incr": n, "hset": n, "zadd": 4 * n}
        assert pipelines == 1

        stats, _ = await measure(lambda: store.inbox_peek(APP, "r0", now_ms=NOW))
        assert stats == {"zrange": 1}  # a peek (every login): one command
    finally:
        await admin.aclose()
        await store.close()
