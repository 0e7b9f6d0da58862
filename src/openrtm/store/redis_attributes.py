"""Channel attributes on Redis (spec §1.7, §5.3, §6.7): durable, stamped, checked when merged.

A channel's attributes are one hash (``key -> msgpack [value, user_id, ts]``) beside a write
counter, in the channel's slot (:mod:`openrtm.store.redis_keys`). The caller's limit check is
Python code, so a write cannot run inside Redis; it is an optimistic transaction instead:

1. read the counter, then the hash (one pipeline; in that order, so that a write landing
   between the two reads leaves a counter older than the hash, and step 3 fails);
2. merge, and run the check on the merged map (a refusal writes nothing);
3. run :data:`~openrtm.store.redis_scripts.ATTRIBUTES_WRITE`, which writes only if the counter
   is still the one read, and bumps it; if another node wrote first, start again from 1.

Two round trips, no connection held between them (unlike ``WATCH``/``MULTI``, which pins a
connection per write and costs a third round trip), and the same code works on Redis Cluster,
since both keys share the channel's hash tag. Within one node the store's writer runs
operations one at a time, so only writers on other nodes can ever make a write try again.

The channels that may have attributes are indexed per App (for :func:`channels`, read when a
node starts, spec §6.7): a write adds the channel with the counter it expects to write as the
score (``ZADD GT``), before writing; a write that leaves the channel empty removes it only if
its score is not above the counter of that write, so a racing write on another node is never
unindexed (:data:`~openrtm.store.redis_scripts.ATTRIBUTES_UNINDEX`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Any, Final, Literal

import msgspec

from openrtm.store import redis_scripts
from openrtm.store.base import (
    AttributeCheck,
    AttributeRefused,
    ChannelAttribute,
    ChannelAttributes,
    StoreError,
)
from openrtm.store.redis_keys import RedisKeys
from openrtm.store.redis_writer import Command, Conversation, Pipelined, RedisCalls

__all__ = ["channels", "clear", "delete", "get", "replace", "update"]

_encode = msgspec.msgpack.Encoder().encode
_decode = msgspec.msgpack.Decoder(tuple[str, str, int]).decode

_MAX_TRIES: Final = 100
"""Optimistic writes of one operation before it gives up: reached only if other nodes write the
same channel without pause (each try is two round trips of well under a millisecond)."""

_Mode = Literal["set", "update", "delete"]
# What a write does, from the stored set: the set it leaves, the script's mode and arguments
# (None: nothing to write).
_Plan = tuple[ChannelAttributes, _Mode, list[str | bytes] | None]


def _parse(raw: Mapping[bytes, bytes] | list[bytes]) -> ChannelAttributes:
    if isinstance(raw, list):  # a client without the HGETALL reply callback
        raw = dict(zip(raw[::2], raw[1::2], strict=True))
    attrs = {key.decode(): ChannelAttribute(*_decode(value)) for key, value in raw.items()}
    return dict(sorted(attrs.items()))


def _judge(check: AttributeCheck, merged: dict[str, str]) -> None:
    why = check(merged)
    if why is not None:
        raise AttributeRefused(why)


def _fields(attrs: Mapping[str, str], user_id: str, ts: int) -> list[str | bytes]:
    fields: list[str | bytes] = []
    for key, value in attrs.items():
        fields += [key, _encode((value, user_id, ts))]
    return fields


def _stamped(attrs: Mapping[str, str], user_id: str, ts: int) -> ChannelAttributes:
    return {key: ChannelAttribute(value, user_id, ts) for key, value in attrs.items()}


def _write(
    keys: RedisKeys, app_id: str, channel: str, plan: Callable[[ChannelAttributes], _Plan]
) -> Conversation[ChannelAttributes]:
    """The read-check-write loop of every attribute write; ``plan`` may refuse by raising."""
    attrs_key = keys.attributes(app_id, channel)
    version_key = keys.attributes_version(app_id, channel)
    index = keys.attribute_channels(app_id)

    async def run(calls: RedisCalls) -> ChannelAttributes:
        for _ in range(_MAX_TRIES):
            version, raw = await calls.call([("GET", version_key), ("HGETALL", attrs_key)])
            read = int(version or 0)
            result, mode, args = plan(_parse(raw))
            if args is None:
                return result
            commands: list[Command] = []
            if result:  # indexed before it is written: a crash between leaves a stale entry
                commands += [
                    ("ZADD", index, "GT", read + 1, channel),
                    ("SADD", keys.attribute_apps, app_id),
                ]
            script = redis_scripts.ATTRIBUTES_WRITE
            commands.append(("EVALSHA", script.sha, 2, attrs_key, version_key, read, mode, *args))
            written = int((await calls.call(commands))[-1])
            if written < 0:
                continue  # another node wrote since the read: read and judge again
            if not result:
                await calls.call([_unindex(keys, app_id, channel, written)])
            return result
        raise StoreError("channel attributes changed too often to write them")

    return run


def _unindex(keys: RedisKeys, app_id: str, channel: str, version: int) -> Command:
    script = redis_scripts.ATTRIBUTES_UNINDEX
    return ("EVALSHA", script.sha, 1, keys.attribute_channels(app_id), channel, version)


def replace(
    keys: RedisKeys,
    app_id: str,
    channel: str,
    attrs: dict[str, str],
    user_id: str,
    ts: int,
    check: AttributeCheck,
) -> Conversation[ChannelAttributes]:
    """Replace the channel's set with ``attrs``, all stamped, if ``check`` passes it."""

    def plan(current: ChannelAttributes) -> _Plan:
        _judge(check, dict(attrs))
        return (
            dict(sorted(_stamped(attrs, user_id, ts).items())),
            "set",
            _fields(attrs, user_id, ts),
        )

    return _write(keys, app_id, channel, plan)


def update(
    keys: RedisKeys,
    app_id: str,
    channel: str,
    attrs: dict[str, str],
    user_id: str,
    ts: int,
    check: AttributeCheck,
) -> Conversation[ChannelAttributes]:
    """Add or update the keys of ``attrs`` (only they are stamped) if the merged set passes."""

    def plan(current: ChannelAttributes) -> _Plan:
        _judge(check, {**{key: a.value for key, a in current.items()}, **attrs})
        merged = dict(sorted({**current, **_stamped(attrs, user_id, ts)}.items()))
        return merged, "update", _fields(attrs, user_id, ts)

    return _write(keys, app_id, channel, plan)


def delete(
    keys: RedisKeys,
    app_id: str,
    channel: str,
    gone: Collection[str],
    check: AttributeCheck | None,
) -> Conversation[ChannelAttributes]:
    """Delete the channel's attributes of ``gone``, ignoring missing ones, if ``check`` passes."""

    def plan(current: ChannelAttributes) -> _Plan:
        left = {key: a for key, a in current.items() if key not in gone}
        if check is not None:
            _judge(check, {key: a.value for key, a in left.items()})
        deleted: list[str | bytes] = [key for key in current if key not in left]
        return left, "delete", deleted or None

    return _write(keys, app_id, channel, plan)


def clear(keys: RedisKeys, app_id: str, channel: str) -> Conversation[ChannelAttributes]:
    """Delete all of the channel's attributes, whatever they are; return the empty set."""
    script = redis_scripts.ATTRIBUTES_WRITE

    async def run(calls: RedisCalls) -> ChannelAttributes:
        attrs_key = keys.attributes(app_id, channel)
        version_key = keys.attributes_version(app_id, channel)
        (written,) = await calls.call(
            [("EVALSHA", script.sha, 2, attrs_key, version_key, "", "set")]
        )
        await calls.call([_unindex(keys, app_id, channel, int(written))])
        return {}

    return run


def get(
    keys: RedisKeys, app_id: str, channel: str, wanted: Collection[str] | None
) -> Pipelined[ChannelAttributes]:
    """The channel's attributes, all or those of ``wanted`` that exist, in key order."""

    def parse(replies: list[Any]) -> ChannelAttributes:
        current = _parse(replies[0])
        if wanted is None:
            return current
        return {key: a for key, a in current.items() if key in wanted}

    # A channel holds at most 32 attributes (spec §5.3): one HGETALL, filtered here.
    return Pipelined([("HGETALL", keys.attributes(app_id, channel))], parse)


def channels(keys: RedisKeys, app_id: str | None) -> Conversation[list[tuple[str, str]]]:
    """The sorted ``(app_id, channel)`` pairs with any attribute, of one app or all.

    Index entries whose channel turns out empty (a write refused or lost after indexing) are
    removed, guarded by the counter read before the check.
    """

    async def run(calls: RedisCalls) -> list[tuple[str, str]]:
        if app_id is None:
            (members,) = await calls.call([("SMEMBERS", keys.attribute_apps)])
            apps = sorted(member.decode() for member in members)
        else:
            apps = [app_id]
        indexed = await calls.call([("ZRANGE", keys.attribute_channels(a), 0, -1) for a in apps])
        candidates = [
            (a, member.decode())
            for a, members in zip(apps, indexed, strict=True)
            for member in members
        ]
        probes: list[Command] = []
        for a, channel in candidates:
            probes += [
                ("GET", keys.attributes_version(a, channel)),
                ("EXISTS", keys.attributes(a, channel)),
            ]
        replies = await calls.call(probes)
        found: list[tuple[str, str]] = []
        stale: list[Command] = []
        for (a, channel), version, exists in zip(
            candidates, replies[::2], replies[1::2], strict=True
        ):
            if exists:
                found.append((a, channel))
            else:
                stale.append(_unindex(keys, a, channel, int(version or 0)))
        if stale:
            await calls.call(stale)
        return sorted(found)

    return run
