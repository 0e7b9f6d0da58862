"""Presence on Redis: sessions, user attributes and channel membership of every node.

Layout in keys.py. Each operation is one round trip (one pipeline), atomic where the answer
depends on what was there (a Lua script: scripts.py). Besides the shared state, every session
and membership is also recorded in its node's own sets, so that when the node dies a
survivor can undo them (liveness.py), and kept here in memory, so that the node can record
them again when Redis comes back without them.

A login and a join also wait, in the same round trip, for this node's SUBSCRIBE of the user's
or the channel's topic to be confirmed: once the reply reaches the client, whatever another
node publishes to that user or channel reaches this node (issue #15 item 3).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import msgspec

from openrtm.engines.base import EngineUnavailable
from openrtm.engines.redis import scripts
from openrtm.engines.redis.commands import Commands, Script
from openrtm.engines.redis.keys import Keys, Topic

if TYPE_CHECKING:
    from openrtm.engines.redis.shards import Shards
    from openrtm.engines.redis.subscriber import Subscriber

__all__ = ["SCRIPTS", "RedisPresence"]

ADD_SESSION = Script(scripts.ADD_SESSION)
REMOVE_SESSION = Script(scripts.REMOVE_SESSION)
RESTORE_SESSION = Script(scripts.RESTORE_SESSION)
SET_ATTRIBUTES = Script(scripts.SET_ATTRIBUTES)
JOIN = Script(scripts.JOIN)
LEAVE = Script(scripts.LEAVE)
HEARTBEAT = Script(scripts.HEARTBEAT)
SCRIPTS = [ADD_SESSION, REMOVE_SESSION, RESTORE_SESSION, SET_ATTRIBUTES, JOIN, LEAVE, HEARTBEAT]

_pack = msgspec.msgpack.encode
_attributes = msgspec.msgpack.Decoder(dict[str, str])


class RedisPresence:
    """A :class:`~openrtm.engines.base.Presence` shared by every node on one Redis."""

    def __init__(
        self, commands: Commands, keys: Keys, node_id: str, sub: Subscriber | Shards
    ) -> None:
        self._run = commands.run
        self._keys = keys
        self._node = node_id
        self._sub = sub
        self.sessions: set[tuple[str, str, str]] = set()
        """This node's sessions (App, uid, session id), as recorded in Redis."""
        self.memberships: set[tuple[str, str, str]] = set()
        """This node's channel memberships (App, channel, uid), as recorded in Redis."""
        self.unremoved: set[tuple[str, str, str]] = set()
        """Sessions that ended while Redis was unavailable: removed when it is back."""
        self.unleft: set[tuple[str, str, str]] = set()
        """Memberships that ended while Redis was unavailable: removed when it is back."""

    async def add_session(self, app_id: str, uid: str, session_id: str) -> bool:
        keys = self._keys
        topic = keys.topic(Topic.USER, app_id, uid)
        self._sub.acquire(topic, (Topic.USER, app_id, uid))
        try:
            replies, _ = await asyncio.gather(
                self._run(
                    "login",
                    Commands.script(
                        ADD_SESSION, [keys.user(app_id, uid)], [session_id, self._node]
                    ),
                    ("SADD", keys.node_sessions(self._node), _pack((app_id, uid, session_id))),
                ),
                self._sub.confirmed(topic),
            )
        except BaseException:
            self._sub.release(topic)
            raise
        self.sessions.add((app_id, uid, session_id))
        return bool(replies[0])

    async def remove_session(self, app_id: str, uid: str, session_id: str) -> bool:
        keys = self._keys
        if (app_id, uid, session_id) in self.sessions:
            self.sessions.discard((app_id, uid, session_id))
            self._sub.release(keys.topic(Topic.USER, app_id, uid))
        try:
            replies = await self._run(
                "logout",
                Commands.script(REMOVE_SESSION, [keys.user(app_id, uid)], [session_id]),
                ("SREM", keys.node_sessions(self._node), _pack((app_id, uid, session_id))),
            )
        except EngineUnavailable:
            # Still recorded in Redis, under a node that stays alive: undone at the
            # reconnection (liveness.py), or the user would look online for good.
            self.unremoved.add((app_id, uid, session_id))
            raise
        return bool(replies[0])

    async def set_user_attributes(
        self, app_id: str, uid: str, session_id: str, attrs: dict[str, str]
    ) -> None:
        await self._run(
            "user attributes",
            Commands.script(
                SET_ATTRIBUTES, [self._keys.user(app_id, uid)], [session_id, _pack(attrs)]
            ),
        )

    async def get_user_attributes(self, app_id: str, uid: str) -> dict[str, str] | None:
        (reply,) = await self._run(
            "user attributes", ("HMGET", self._keys.user(app_id, uid), "sid", "attrs")
        )
        sid, attrs = reply
        if sid is None:
            return None
        return _attributes.decode(attrs) if attrs is not None else {}

    async def online(self, app_id: str, uids: list[str]) -> dict[str, bool]:
        if not uids:
            return {}
        user = self._keys.user
        replies = await self._run("online", *(("EXISTS", user(app_id, uid)) for uid in uids))
        return {uid: bool(n) for uid, n in zip(uids, replies, strict=True)}

    async def join_channel(self, app_id: str, channel: str, uid: str) -> int:
        keys = self._keys
        topic = keys.topic(Topic.CHANNEL, app_id, channel)
        self._sub.acquire(topic, (Topic.CHANNEL, app_id, channel))
        try:
            replies, _ = await asyncio.gather(
                self._run(
                    "join",
                    Commands.script(JOIN, [keys.members(app_id, channel)], [uid, self._node]),
                    ("SADD", keys.node_members(self._node), _pack((app_id, channel, uid))),
                ),
                self._sub.confirmed(topic),
            )
        except BaseException:
            self._sub.release(topic)
            raise
        self.memberships.add((app_id, channel, uid))
        return int(replies[0][1])

    async def leave_channel(self, app_id: str, channel: str, uid: str) -> int:
        keys = self._keys
        if (app_id, channel, uid) in self.memberships:
            self.memberships.discard((app_id, channel, uid))
            self._sub.release(keys.topic(Topic.CHANNEL, app_id, channel))
        try:
            replies = await self._run(
                "leave",
                Commands.script(LEAVE, [keys.members(app_id, channel)], [uid, self._node]),
                ("SREM", keys.node_members(self._node), _pack((app_id, channel, uid))),
            )
        except EngineUnavailable:
            self.unleft.add((app_id, channel, uid))
            raise
        return int(replies[0][1])

    async def channel_members(self, app_id: str, channel: str, limit: int) -> list[str]:
        # HRANDFIELD with a positive count: distinct members, all of them when fewer.
        (reply,) = await self._run(
            "members", ("HRANDFIELD", self._keys.members(app_id, channel), limit)
        )
        return [uid.decode() for uid in reply or ()]

    async def channel_counts(self, app_id: str, channels: list[str]) -> dict[str, int]:
        if not channels:
            return {}
        members = self._keys.members
        replies = await self._run(
            "member counts", *(("HLEN", members(app_id, c)) for c in channels)
        )
        return {c: int(n) for c, n in zip(channels, replies, strict=True)}

    async def session_of(self, app_id: str, uid: str) -> str | None:
        (sid,) = await self._run("session", ("HGET", self._keys.user(app_id, uid), "sid"))
        return None if sid is None else bytes(sid).decode()

    async def adopt_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> bool:
        # A resume on a different node (docs/protocol.md §3.2): the user's HASH and the
        # channels' member HASHes name this node from now on, and this node's own sets list
        # them (so that they are undone if it dies); the topics are confirmed subscribed.
        # One round trip; RESTORE_SESSION records nothing if another session took the user.
        keys = self._keys
        topics = [keys.topic(Topic.USER, app_id, uid)]
        self._sub.acquire(topics[0], (Topic.USER, app_id, uid))
        for channel in channels:
            topics.append(keys.topic(Topic.CHANNEL, app_id, channel))
            self._sub.acquire(topics[-1], (Topic.CHANNEL, app_id, channel))
        commands: list[Any] = [
            Commands.script(RESTORE_SESSION, [keys.user(app_id, uid)], [session_id, self._node]),
        ]
        for channel in channels:
            commands.append(
                Commands.script(JOIN, [keys.members(app_id, channel)], [uid, self._node])
            )
        try:
            replies, *_ = await asyncio.gather(
                self._run("adopt", *commands),
                *(self._sub.confirmed(topic) for topic in topics),
            )
            if int(replies[0]) < 0:
                # Another session holds the user: undo the memberships just written.
                await self._run(
                    "adopt",
                    *(
                        Commands.script(LEAVE, [keys.members(app_id, c)], [uid, self._node])
                        for c in channels
                    ),
                )
                raise _Refused
            await self._run(
                "adopt",
                ("SADD", keys.node_sessions(self._node), _pack((app_id, uid, session_id))),
                *(
                    ("SADD", keys.node_members(self._node), _pack((app_id, c, uid)))
                    for c in channels
                ),
            )
        except BaseException as exc:
            for topic in topics:
                self._sub.release(topic)
            if isinstance(exc, _Refused):
                return False
            raise
        self.sessions.add((app_id, uid, session_id))
        self.memberships.update((app_id, c, uid) for c in channels)
        return True

    async def release_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> None:
        keys = self._keys
        if (app_id, uid, session_id) in self.sessions:
            self.sessions.discard((app_id, uid, session_id))
            self._sub.release(keys.topic(Topic.USER, app_id, uid))
        for channel in channels:
            if (app_id, channel, uid) in self.memberships:
                self.memberships.discard((app_id, channel, uid))
                self._sub.release(keys.topic(Topic.CHANNEL, app_id, channel))
        # Only this node's own lists: were it to die now, its reaper must not end the session
        # that lives on elsewhere. (Failing, they are left to the holder's check: the
        # reaper's REMOVE_SESSION and LEAVE act only on what still names this node.)
        await self._run(
            "release",
            ("SREM", keys.node_sessions(self._node), _pack((app_id, uid, session_id))),
            *(("SREM", keys.node_members(self._node), _pack((app_id, c, uid))) for c in channels),
        )


class _Refused(Exception):
    """adopt_session: another session holds the user."""
