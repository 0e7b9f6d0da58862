"""The engine seams: a Broker that routes events to users and a Presence registry (design §2).

A node talks to its engine only through these Protocols and hears back only through
:class:`EngineHandler`. The memory engine calls the handler directly; a cluster engine calls it
from its PUB/SUB reader; the node cannot tell them apart. One contract suite
(``tests/engines/``) runs against every implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Protocol

import msgspec

from openrtm.protocol.attributes import ChannelAttributeValue
from openrtm.protocol.messages import Message

__all__ = [
    "AttributesChanged",
    "Broker",
    "CallEvent",
    "CallStep",
    "ChannelEvent",
    "ChannelMessageEvent",
    "EngineHandler",
    "EngineUnavailable",
    "HandedOver",
    "HandoverAsked",
    "InboxChanged",
    "MemberJoined",
    "MemberLeft",
    "PeerDelivered",
    "PeerMessageEvent",
    "Presence",
    "SessionClaimed",
    "SessionHandover",
    "UserEvent",
]


# gc=False (here and on the other frame bases): a frame is a tree of strings, numbers, lists
# and maps, never part of a cycle, so the cyclic collector need not track the thousands made
# every second (design §6).
class UserEvent(msgspec.Struct, tag_field="e", kw_only=True, gc=False):
    """Base of the events a broker routes to the connections of one user on any node.

    Events are msgspec Structs so that a cluster engine can serialize them as they are.
    """


class SessionClaimed(UserEvent, tag="claimed"):
    """A new login of this user succeeded; any of its sessions but ``session_id`` must go.

    Spec §6.11: the older session is kicked with REMOTE_LOGIN and leaves every channel.
    """

    session_id: str


class PeerMessageEvent(UserEvent, tag="peer_msg"):
    """A peer message on its way to its receiver (spec §6.1).

    ``sender_session`` and ``request_id`` say where the receipt goes back to; ``offline``:
    the sender asked for offline messaging (spec §6.2), so a receiver whose session ends before
    it acknowledges the message gets it from the inbox instead.
    """

    sender: str
    sender_session: str
    request_id: int
    mid: str
    msg: Message
    ts: int
    offline: bool = False


class PeerDelivered(UserEvent, tag="delivered"):
    """The receiver's SDK acknowledged request ``request_id`` of session ``session_id``."""

    session_id: str
    request_id: int


class InboxChanged(UserEvent, tag="inbox"):
    """A message was stored for this user while it seemed offline: deliver what is stored.

    Closes the gap of a message stored while its receiver was completing a login (spec §6.2).
    """


class CallStep(StrEnum):
    """A step of a call invitation that travels between the caller's and the callee's node.

    Toward the callee: INVITE, CANCEL, ACCEPTED (the caller acknowledged the acceptance),
    FAIL. Toward the caller: RECEIVE, ACCEPT, REFUSE, CALLEE_GONE (the callee's session ended
    with the invitation open). The rest are the caller's node's own, never routed.
    """

    INVITE = "invite"
    CANCEL = "cancel"
    ACCEPTED = "accepted"
    FAIL = "fail"
    RECEIVE = "receive"
    ACCEPT = "accept"
    REFUSE = "refuse"
    CALLEE_GONE = "callee_gone"
    DELIVER = "deliver"
    CALLER_ACK = "caller_ack"
    CALLER_GONE = "caller_gone"
    DEADLINE = "deadline"


class CallEvent(UserEvent, tag="call"):
    """A step of invitation ``call`` of ``caller``'s session ``caller_session`` (spec §1.5).

    Routed like a peer message, to the callee or back to the caller, so that invitations work
    across nodes. ``text`` is the content (INVITE) or the response (ACCEPT, REFUSE); ``reason``
    is a failure reason (FAIL).
    """

    step: CallStep
    caller: str
    caller_session: str
    call: str
    text: str = ""
    channel: str = ""
    reason: str = ""


class SessionHandover(msgspec.Struct, kw_only=True, gc=False):
    """What a detached session holds, handed from its node to the node it resumes on.

    docs/protocol.md §3.2 (a resume may land on any node). ``channels``: joined channels
    with the member count last pushed; ``backlog`` and ``missed_messages``: the encoded
    pushes kept while detached (Session.keep_missed_pushes); ``unacked``: the peer messages
    pushed but not acknowledged, oldest first. Stored offline messages stay in the store and
    are replayed from there.
    """

    channels: dict[str, int]
    following: list[str]
    user_attrs: dict[str, str]
    unreachable: bool
    backlog: list[bytes]
    missed_messages: list[bytes]
    unacked: list[PeerMessageEvent]


class HandoverAsked(UserEvent, tag="handover_ask"):
    """A node asks for the session ``session_id`` of this user: a login resumes it there.

    ``ticket`` names the asking login, so that its answer is told apart from another's.
    """

    session_id: str
    ticket: str


class HandedOver(UserEvent, tag="handed_over"):
    """The answer to :class:`HandoverAsked`: the session, or None if it is not held here."""

    ticket: str
    session: SessionHandover | None = None


class ChannelEvent(msgspec.Struct, tag_field="e", kw_only=True, gc=False):
    """Base of the events a broker routes to every node with members of one channel."""


class ChannelMessageEvent(ChannelEvent, tag="channel_msg"):
    """A channel message, for every member but its sender (spec §6.4)."""

    sender: str
    mid: str
    msg: Message
    ts: int


class MemberJoined(ChannelEvent, tag="joined"):
    """``uid`` joined; the channel now has ``count`` members (spec §6.8)."""

    uid: str
    count: int


class MemberLeft(ChannelEvent, tag="left"):
    """``uid`` left; the channel now has ``count`` members (spec §6.8)."""

    uid: str
    count: int


class AttributesChanged(ChannelEvent, tag="attrs"):
    """The channel's complete attribute set after a write that asked to notify (spec §6.7)."""

    attrs: dict[str, ChannelAttributeValue]


class EngineUnavailable(Exception):
    """The engine cannot answer now (its Redis is down or too slow): the operation fails.

    A :class:`Presence` method raises it, promptly (every wait on a shared engine is bounded),
    so that the service answers the operation's FAILURE code rather than hang (protocol §4).
    The message says what failed, for the log; it carries no traceback worth printing.
    """


class EngineHandler(Protocol):
    """What an engine calls back into; implemented by the Node."""

    def on_presence(self, app_id: str, uid: str, state: str) -> None:
        """``uid`` is now ``state`` (ONLINE, UNREACHABLE, OFFLINE): tell its local followers."""

    def on_user_event(self, app_id: str, uid: str, event: UserEvent) -> bool:
        """Deliver ``event`` to the local session of ``uid``; return whether there was one."""

    def on_channel_event(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        """Deliver ``event`` to the local members of ``channel``."""


class Broker(Protocol):
    """Routes events to users wherever they are connected."""

    async def start(self, handler: EngineHandler) -> None:
        """Begin delivering events to ``handler``."""

    async def close(self) -> None:
        """Stop delivering events and release resources."""

    def publish_user(
        self,
        app_id: str,
        uid: str,
        event: UserEvent,
        on_result: Callable[[bool], None] | None = None,
    ) -> None:
        """Route ``event`` to the handler of every node where (``app_id``, ``uid``) is.

        No await: events to one user arrive in the order they were published. ``on_result``,
        if given, is called once with whether some node had a session to hand it to.
        """

    def publish_channel(self, app_id: str, channel: str, event: ChannelEvent) -> None:
        """Route ``event`` to the handler of every node with members of ``channel``, in order."""

    def publish_presence(self, app_id: str, uid: str, state: str) -> None:
        """Tell every node with sessions following ``uid`` its new state (spec §6.9)."""

    # Interest (issue #15, routing by interest): what this node's connections need, told by
    # the Hub at the first and the last local session, member or follower. A cluster engine
    # subscribes to those events only; the memory engine needs none of it. Synchronous and
    # cheap: a cluster engine queues its SUBSCRIBE / UNSUBSCRIBE, it never awaits here.

    def subscribe_user(self, app_id: str, uid: str) -> None:
        """This node now has a session of ``uid``: route ``uid``'s user events here."""

    def unsubscribe_user(self, app_id: str, uid: str) -> None:
        """This node no longer has a session of ``uid``."""

    async def user_subscribed(self, app_id: str, uid: str) -> None:
        """Wait until ``uid``'s user events reach this node (after :meth:`subscribe_user`).

        For a sender with no session here that waits for a receipt (REST ``wait_for_ack``).
        Raises EngineUnavailable when that cannot be confirmed in time.
        """

    def subscribe_channel(self, app_id: str, channel: str) -> None:
        """This node now has a member of ``channel``: route its channel events here."""

    def unsubscribe_channel(self, app_id: str, channel: str) -> None:
        """This node's last member of ``channel`` left."""

    def follow(self, app_id: str, uid: str) -> None:
        """A session of this node now follows ``uid``'s online state: route it here."""

    def unfollow(self, app_id: str, uid: str) -> None:
        """No session of this node follows ``uid`` any more."""


class Presence(Protocol):
    """Who is logged in, across all nodes."""

    async def add_session(self, app_id: str, uid: str, session_id: str) -> bool:
        """Record that ``uid`` is logged in with ``session_id`` (replacing an older session).

        Returns whether ``uid`` was offline before (so that it just came online).
        """

    async def remove_session(self, app_id: str, uid: str, session_id: str) -> bool:
        """Record that ``session_id`` ended, with its user attributes (spec §6.6).

        A newer session of the same user is kept. Returns whether ``uid`` is now offline.
        """

    async def set_user_attributes(
        self, app_id: str, uid: str, session_id: str, attrs: dict[str, str]
    ) -> None:
        """Store the complete attribute set of ``uid``'s session ``session_id``."""

    async def get_user_attributes(self, app_id: str, uid: str) -> dict[str, str] | None:
        """Return ``uid``'s attributes, or None when it is offline (spec §6.6)."""

    async def online(self, app_id: str, uids: list[str]) -> dict[str, bool]:
        """Return, for each of ``uids``, whether it has a live session."""

    async def join_channel(self, app_id: str, channel: str, uid: str) -> int:
        """Add ``uid`` to ``channel``; return the member count after."""

    async def leave_channel(self, app_id: str, channel: str, uid: str) -> int:
        """Remove ``uid`` from ``channel``; return the member count after."""

    async def channel_members(self, app_id: str, channel: str, limit: int) -> list[str]:
        """Return up to ``limit`` members of ``channel`` (a random subset when larger)."""

    async def channel_counts(self, app_id: str, channels: list[str]) -> dict[str, int]:
        """Return the member count of each of ``channels`` (0 for an unknown channel)."""

    async def session_of(self, app_id: str, uid: str) -> str | None:
        """Return the id of ``uid``'s live session on any node, or None when it is offline."""

    async def adopt_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> bool:
        """Make this node the holder of ``session_id``, begun on another node, and of its
        memberships of ``channels`` (a resume on a different node, docs/protocol.md §3.2).

        Nothing changes for other nodes' views: no session starts, no member joins. Returns
        False, recording nothing, when the user has another session now.
        """

    async def release_session(
        self, app_id: str, uid: str, session_id: str, channels: list[str]
    ) -> None:
        """Forget, on this node only, a session handed over to another node and its
        memberships of ``channels``: the shared records stay (the new holder adopted them)."""
