"""Every Redis key and PUB/SUB channel name of the engine, in one place (design §2).

Each name carries the App ID, so nothing ever crosses Apps, and a hash tag around the App and
the user or channel it is about (``{APP:u:UID}``, ``{APP:c:CHANNEL}``): every key of one user
or one channel lands in one Redis Cluster hash slot, so that its Lua scripts stay legal there
and a later increment can move to SSUBSCRIBE / SPUBLISH without renaming anything (issue #15).
The id comes last inside the tag: an id holding ``}`` ends the tag early, but at the same place
for every key of that id, so they still share a slot.

Layout (``P`` is the prefix, ``openrtm`` by default):

==============================  =======  ==================================================
``P:{A:u:UID}:s``               HASH     the user's session: ``sid``, ``node``, ``attrs``
                                         (its user attributes, msgpack; spec §6.6)
``P:{A:c:CH}:m``                HASH     the channel's members: uid -> node id (spec §6.8)
``P:nodes``                     ZSET     node id -> heartbeat deadline (ms, Redis clock)
``P:node:{N}:s``                SET      msgpack [app, uid, sid] of each session of node N
``P:node:{N}:m``                SET      msgpack [app, channel, uid] of each membership of N
``P:node:{N}:reap``             STRING   the lock of the node reaping dead node N
==============================  =======  ==================================================

PUB/SUB channels (their own namespace in Redis): ``P:{A:u:UID}:ev`` (user events: the node
holding the user subscribes), ``P:{A:u:UID}:pr`` (online state: nodes with followers of UID
subscribe), ``P:{A:c:CH}:ev`` (channel events: nodes with members of CH subscribe).
"""

from __future__ import annotations

from enum import IntEnum

__all__ = ["Keys", "Topic"]


class Topic(IntEnum):
    """What a subscribed PUB/SUB channel carries (the reader dispatches on it)."""

    USER = 1
    PRESENCE = 2
    CHANNEL = 3


class Keys:
    """Names of keys and channels under ``prefix``."""

    __slots__ = ("nodes", "prefix")

    def __init__(self, prefix: str = "openrtm") -> None:
        self.prefix = prefix
        self.nodes = f"{prefix}:nodes"

    def user(self, app_id: str, uid: str) -> str:
        """The user's session HASH."""
        return f"{self.prefix}:{{{app_id}:u:{uid}}}:s"

    def members(self, app_id: str, channel: str) -> str:
        """The channel's member HASH (uid -> node id)."""
        return f"{self.prefix}:{{{app_id}:c:{channel}}}:m"

    def node_sessions(self, node_id: str) -> str:
        return f"{self.prefix}:node:{{{node_id}}}:s"

    def node_members(self, node_id: str) -> str:
        return f"{self.prefix}:node:{{{node_id}}}:m"

    def reap_lock(self, node_id: str) -> str:
        return f"{self.prefix}:node:{{{node_id}}}:reap"

    def topic(self, kind: Topic, app_id: str, name: str) -> bytes:
        """The PUB/SUB channel of ``kind`` for user or channel ``name``, as Redis sends it."""
        if kind is Topic.CHANNEL:
            return f"{self.prefix}:{{{app_id}:c:{name}}}:ev".encode()
        suffix = "ev" if kind is Topic.USER else "pr"
        return f"{self.prefix}:{{{app_id}:u:{name}}}:{suffix}".encode()
