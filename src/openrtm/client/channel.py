"""``RtmChannel``: one channel of a client (spec §1.4, design §4).

Events: ``ChannelMessage(message, member_id, props)``, ``MemberJoined(member_id)``,
``MemberLeft(member_id)``, ``MemberCountUpdated(count)``, ``AttributesUpdated(attributes)``.
"""

from __future__ import annotations

import asyncio
from enum import Enum
from typing import TYPE_CHECKING, Any

import msgspec

from openrtm.client.attributes import from_wire as attributes_from_wire
from openrtm.client.events import EventEmitter
from openrtm.client.messages import (
    ReceivedMessageProperties,
    RtmMessage,
    SendMessageOptions,
    from_wire,
    to_wire,
)
from openrtm.errors import error_for
from openrtm.protocol.attributes import ChannelAttributesPush
from openrtm.protocol.codes import (
    ChannelMessageError,
    GetMembersError,
    JoinChannelError,
    LeaveChannelError,
)
from openrtm.protocol.limits import (
    GET_MEMBERS_RATE,
    JOIN_RATE,
    JOIN_SAME_CHANNEL_RATE,
    MAX_JOINED_CHANNELS,
)
from openrtm.protocol.messages import (
    ChannelMessagePush,
    GetMembers,
    GetMembersResult,
    JoinChannel,
    LeaveChannel,
    MemberCountPush,
    MemberJoinedPush,
    MemberLeftPush,
    SendChannelMessage,
    ServerFrame,
)

if TYPE_CHECKING:
    from openrtm.client.client import RtmClient

__all__ = ["RtmChannel"]


class _Membership(Enum):
    NONE = "none"
    JOINING = "joining"
    JOINED = "joined"


class RtmChannel(EventEmitter):
    """A channel; create it with ``client.create_channel(channel_id)``. Creating is not joining."""

    def __init__(self, client: RtmClient, channel_id: str) -> None:
        super().__init__()
        self._client = client
        self._channel_id = channel_id
        self._membership = _Membership.NONE
        self._attempt: object | None = None  # identifies the join in flight, if any

    @property
    def channel_id(self) -> str:
        """The channel's id."""
        return self._channel_id

    @property
    def joined(self) -> bool:
        """Whether this object has joined its channel."""
        return self._membership is _Membership.JOINED

    async def join(self) -> None:
        """Join the channel (spec §1.4 ``join``).

        Raises:
            RtmInvalidStatusError: 102 not logged in, 6 this object already joined or joining,
                202 another object of the same id joined, 201 leave() called during join.
            RtmLimitExceededError: 5, already in 20 channels.
        """
        client = self._client
        if not client.logged_in:
            raise error_for(JoinChannelError.USER_NOT_LOGGED_IN, "not logged in")
        if self._membership is not _Membership.NONE:
            raise error_for(JoinChannelError.ALREADY_JOINED, "already joined or joining")
        other = client.channels.get(self._channel_id)
        if other is not None and other is not self:
            raise error_for(
                JoinChannelError.ALREADY_JOINED_CHANNEL_OF_SAME_ID,
                "another RtmChannel of this id has joined",
            )
        if len(client.channels) >= MAX_JOINED_CHANNELS:
            raise error_for(JoinChannelError.EXCEED_LIMIT, "already in 20 channels")
        refused = client.within(
            (JoinChannel, JOIN_RATE), ((JoinChannel, self._channel_id), JOIN_SAME_CHANNEL_RATE)
        )
        if refused == 0:
            raise error_for(JoinChannelError.TOO_OFTEN, "more than 50 joins in 3 s")
        if refused == 1:
            raise error_for(
                JoinChannelError.JOIN_SAME_CHANNEL_TOO_OFTEN, "joined this channel twice in 5 s"
            )
        # Registered before asking, so that the pushes right after the reply reach us.
        self._membership = _Membership.JOINING
        self._attempt = attempt = object()
        client.channels[self._channel_id] = self
        try:
            await client.call(JoinChannel, JoinChannelError, channel=self._channel_id)
        except BaseException:
            if self._attempt is attempt:
                self._forget()
            raise
        if self._attempt is not attempt:
            # leave() ran meanwhile (and maybe a newer join(), which owns the outcome now).
            raise error_for(JoinChannelError.ABORTED_BY_LEAVE, "leave() called during join")
        self._attempt = None
        self._membership = _Membership.JOINED

    async def leave(self) -> None:
        """Leave the channel (spec §1.4 ``leave``).

        Raises:
            RtmInvalidStatusError: 102 not logged in, 3 not joined.
        """
        if not self._client.logged_in:
            raise error_for(LeaveChannelError.USER_NOT_LOGGED_IN, "not logged in")
        if self._membership is _Membership.NONE:
            raise error_for(LeaveChannelError.NOT_IN_CHANNEL, "not in this channel")
        joining = self._membership is _Membership.JOINING
        self._forget()
        # Sent now, so that it reaches the server before any later join of this channel.
        answer = self._client.send_request(
            LeaveChannel, LeaveChannelError, channel=self._channel_id
        )
        if joining:
            # The pending join is refused with 201; the leave's own answer does not matter.
            answer.add_done_callback(_ignore_outcome)
            return
        await answer

    async def send_message(
        self,
        message: RtmMessage | str | dict[str, Any],
        options: SendMessageOptions | dict[str, Any] | None = None,
    ) -> None:
        """Send a message to the other members (spec §1.4 ``sendMessage``).

        Raises:
            RtmInvalidStatusError: 102 not logged in, 5 not joined.
            RtmInvalidArgumentError: 4, not a valid message (TEXT ≤ 32 KB, RAW ≤ 32 KB).
            RtmTimeoutError: 2, no answer in time.
        """
        await self._client.until_connected(
            ChannelMessageError.TIMEOUT, ChannelMessageError.USER_NOT_LOGGED_IN
        )
        if self._membership is not _Membership.JOINED:
            raise error_for(ChannelMessageError.NOT_IN_CHANNEL, "not in this channel")
        wire = to_wire(message)
        if isinstance(wire, str):
            raise error_for(ChannelMessageError.INVALID_MESSAGE, wire)
        if not self._client.within_message_budget():
            raise error_for(ChannelMessageError.TOO_OFTEN, "over 180 messages in 3 s")
        # Spec §1.4: offline messaging does not apply to channels; history does.
        history = SendMessageOptions.coerce(options).enable_historical_messaging
        await self._client.call(
            SendChannelMessage,
            ChannelMessageError,
            channel=self._channel_id,
            mid=self._client.next_mid(),
            msg=wire,
            history=history,
        )

    async def get_members(self) -> list[str]:
        """Return up to 512 member ids, this user included (spec §1.4 ``getMembers``).

        Raises:
            RtmInvalidStatusError: 102 not logged in, 5 not joined.
        """
        if not self._client.logged_in:
            raise error_for(GetMembersError.USER_NOT_LOGGED_IN, "not logged in")
        if self._membership is not _Membership.JOINED:
            raise error_for(GetMembersError.NOT_IN_CHANNEL, "not in this channel")
        if self._client.within((GetMembers, GET_MEMBERS_RATE)) >= 0:
            raise error_for(GetMembersError.TOO_OFTEN, "over 5 calls in 2 s")
        result = await self._client.call(GetMembers, GetMembersError, channel=self._channel_id)
        return msgspec.convert(result, GetMembersResult).members

    def _forget(self) -> None:
        self._membership = _Membership.NONE
        self._attempt = None
        if self._client.channels.get(self._channel_id) is self:
            del self._client.channels[self._channel_id]

    def _on_push(self, frame: ServerFrame) -> None:
        if isinstance(frame, ChannelMessagePush):
            props = ReceivedMessageProperties(server_received_ts=frame.ts)
            self.emit("ChannelMessage", from_wire(frame.msg), frame.sender, props)
        elif isinstance(frame, MemberJoinedPush):
            self.emit("MemberJoined", frame.uid)
        elif isinstance(frame, MemberLeftPush):
            self.emit("MemberLeft", frame.uid)
        elif isinstance(frame, MemberCountPush):
            self.emit("MemberCountUpdated", frame.count)
        elif isinstance(frame, ChannelAttributesPush):
            self.emit("AttributesUpdated", attributes_from_wire(frame.attrs))


def _ignore_outcome(answer: asyncio.Future[Any]) -> None:
    if not answer.cancelled():
        answer.exception()  # retrieved, so asyncio does not log it as never retrieved
