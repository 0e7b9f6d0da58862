"""Every Redis key the Redis store uses, in one place (design §2; issue #15).

Each key starts with the configurable prefix and contains the App ID, so that nothing ever
crosses App IDs (design §2) and several deployments can share one Redis. The part in braces is
the key's *hash tag*: Redis Cluster places keys with the same tag in the same slot, and a Lua
script may only touch keys of one slot. The tags are chosen by what must change atomically:

========================================  ==================  ===================================
key                                       type                what
========================================  ==================  ===================================
``P:{app:uid}:inbox``                     ZSET                a receiver's offline messages
                                                              (spec §6.2), score = seq
``P:{app:uid}:inbox:seq``                 STRING              the receiver's last seq given out
``P:inbox:receivers``                     SET                 ``app\\nuid`` of every inbox that
                                                              may hold entries (for the purge)
``P:{app}:events:user``                   LIST                the REST user events (spec §7.5)
``P:{app}:events:channel``                LIST                the REST channel events
``P:{app}:hist:seq``                      STRING              the app's history record counter
``P:{app}:hist:msgs``                     HASH                record id -> record (spec §6.3)
``P:{app}:hist:all``                      ZSET                every record id, score = ts
``P:{app}:hist:src:<uid>``                ZSET                ids of the messages ``uid`` sent
``P:{app}:hist:dst:<id>``                 ZSET                ids of the messages to user/channel
``P:{app}:hist:pair:<n>:<src><dst>``      ZSET                ids from ``src`` to ``dst`` (``n``
                                                              = bytes of src, so no id is ambiguous)
``P:hist:apps``                           SET                 Apps with history (for the purge)
``P:{app:channel}:attrs``                 HASH                a channel's attributes (spec §6.7)
``P:{app:channel}:attrs:ver``             STRING              its write counter (optimistic CAS)
``P:{app}:attrs:channels``                ZSET                channels that may have attributes,
                                                              score = version when last written
``P:attrs:apps``                          SET                 Apps with such channels
``P:{media}:rec:<media_id>``              STRING              an uploaded object's record
``P:{media}:expiry``                      ZSET                ``app\\nmedia_id``, score = expiry
``P:{app}:rate:<budget>``                 STRING              calls in the App's current window
                                                              of a REST budget (spec §5.4)
``P:{app}:hq:<handle>``                   STRING              a REST history query's result
                                                              ("" while it runs; spec §7.4)
``P:{app}:hq``                            ZSET                the App's live handles, score =
                                                              expiry (Redis clock, ms)
``P:secret:<name>``                       STRING              a deployment-wide random secret
                                                              (the media ticket key), SET NX
========================================  ==================  ===================================

One receiver's inbox, one channel's attributes, one App's history and events each live in one
slot; the media records share a single slot on purpose (uploads are rare and rate-limited, and
a put must check the id's uniqueness and index its expiry in one step). The few global keys
(``P:inbox:receivers``, ``P:hist:apps``, ``P:attrs:apps``) are only ever touched by plain
idempotent commands, never inside a script, so they may live in any slot. Every key a script
touches is declared in its ``KEYS`` (Redis Cluster refuses others; redis_scripts.py).
"""

from __future__ import annotations

__all__ = ["RedisKeys"]


class RedisKeys:
    """Builds the keys of one deployment, under ``prefix`` (default ``"openrtm"``).

    Args:
        prefix: the first part of every key; several deployments may share a Redis with
            different prefixes. It must not contain braces (they would change the hash tags).
    """

    def __init__(self, prefix: str = "openrtm") -> None:
        if not prefix or "{" in prefix or "}" in prefix:
            raise ValueError(f"a key prefix must be non-empty and without braces: {prefix!r}")
        self.prefix = prefix
        self.inbox_receivers = f"{prefix}:inbox:receivers"
        self.history_apps = f"{prefix}:hist:apps"
        self.attribute_apps = f"{prefix}:attrs:apps"
        self.media_expiry = f"{prefix}:{{media}}:expiry"
        self.media_record_prefix = f"{prefix}:{{media}}:rec:"
        """The media records' keys are this plus the media id."""

    # -- offline messages (spec §6.2) ------------------------------------------------------

    def inbox(self, app_id: str, uid: str) -> str:
        return f"{self.prefix}:{{{app_id}:{uid}}}:inbox"

    def inbox_seq(self, app_id: str, uid: str) -> str:
        return f"{self.prefix}:{{{app_id}:{uid}}}:inbox:seq"

    # -- REST events (spec §7.5) -----------------------------------------------------------

    def user_events(self, app_id: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:events:user"

    def channel_events(self, app_id: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:events:channel"

    # -- message history (spec §6.3, §7.4) -------------------------------------------------

    def history_prefix(self, app_id: str) -> str:
        """The start of every history key of ``app_id``."""
        return f"{self.prefix}:{{{app_id}}}:hist:"

    def history_seq(self, app_id: str) -> str:
        return self.history_prefix(app_id) + "seq"

    def history_messages(self, app_id: str) -> str:
        return self.history_prefix(app_id) + "msgs"

    def history_all(self, app_id: str) -> str:
        return self.history_prefix(app_id) + "all"

    def history_by_source(self, app_id: str, src: str) -> str:
        return self.history_prefix(app_id) + "src:" + src

    def history_by_destination(self, app_id: str, dst: str) -> str:
        return self.history_prefix(app_id) + "dst:" + dst

    def history_by_pair(self, app_id: str, src: str, dst: str) -> str:
        # The length of src in UTF-8 bytes: no (src, dst) pair shares a key with another.
        return self.history_prefix(app_id) + f"pair:{len(src.encode())}:{src}{dst}"

    # -- channel attributes (spec §6.7) ----------------------------------------------------

    def attributes(self, app_id: str, channel: str) -> str:
        return f"{self.prefix}:{{{app_id}:{channel}}}:attrs"

    def attributes_version(self, app_id: str, channel: str) -> str:
        return f"{self.prefix}:{{{app_id}:{channel}}}:attrs:ver"

    def attribute_channels(self, app_id: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:attrs:channels"

    # -- media records (spec §1.6, §5.2) ---------------------------------------------------

    # -- shared REST state (spec §5.4, §7.4): every node sees the same -----------------------

    def call_count(self, app_id: str, budget: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:rate:{budget}"

    def query_handle(self, app_id: str, handle: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:hq:{handle}"

    def query_handles(self, app_id: str) -> str:
        return f"{self.prefix}:{{{app_id}}}:hq"

    def secret(self, name: str) -> str:
        """A secret shared by every node (Store.secret): the deployment's, not an App's."""
        return f"{self.prefix}:secret:{name}"

    def media_record(self, media_id: str) -> str:
        return self.media_record_prefix + media_id
