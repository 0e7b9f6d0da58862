"""The SDK's peer messages: sending with receipts, receiving with acks (spec §6.1, §6.2).

``RtmClient`` delegates here. A received message is handed to the app, then acknowledged:
only that ack lets the sender hear ``has_peer_received`` (design §3). A message delivered
again (a sender's retry, or a stored message replayed after a drop) is acked but shown once.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, Any

import msgspec

from openrtm.client.messages import (
    PeerMessageSendResult,
    ReceivedMessageProperties,
    RtmMessage,
    SendMessageOptions,
    from_wire,
    to_wire,
)
from openrtm.errors import error_for
from openrtm.protocol.codes import PeerMessageError
from openrtm.protocol.limits import is_valid_user_id, peer_message_error
from openrtm.protocol.messages import Ack, PeerMessagePush, PeerMessageResult, SendPeerMessage

if TYPE_CHECKING:
    from openrtm.client.client import RtmClient
    from openrtm.client.connection import Connection

__all__ = ["PeerCalls"]

# How many recent (sender, mid) pairs a client remembers to drop redelivered messages.
_SEEN_MESSAGES = 4096


class PeerCalls:
    """Peer messages for one client."""

    def __init__(self, client: RtmClient) -> None:
        self._client = client
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    async def send(
        self,
        message: RtmMessage | str | dict[str, Any],
        peer_id: str,
        options: SendMessageOptions | dict[str, Any] | None,
    ) -> PeerMessageSendResult:
        """``send_message_to_peer``: codes 102, 6, 7 locally; 2 on no answer."""
        client = self._client
        if not is_valid_user_id(peer_id):
            raise error_for(PeerMessageError.INVALID_USERID, "invalid peer id")
        wire = to_wire(message)
        problem = wire if isinstance(wire, str) else peer_message_error(wire)
        if problem is not None:
            raise error_for(PeerMessageError.INVALID_MESSAGE, problem)
        await client.until_connected(PeerMessageError.TIMEOUT, PeerMessageError.USER_NOT_LOGGED_IN)
        if not client.within_message_budget():
            raise error_for(PeerMessageError.TOO_OFTEN, "over 180 messages in 3 s")
        opts = SendMessageOptions.coerce(options)
        result = await client.call(
            SendPeerMessage,
            PeerMessageError,
            to=peer_id,
            mid=client.next_mid(),
            msg=wire,
            offline=opts.enable_offline_messaging,
            history=opts.enable_historical_messaging,
        )
        return PeerMessageSendResult(msgspec.convert(result, PeerMessageResult).received)

    def on_push(self, frame: PeerMessagePush, conn: Connection) -> None:
        """Hand a received message to the app (``MessageFromPeer``), then acknowledge it."""
        key = (frame.sender, frame.mid)
        if key not in self._seen:  # a redelivery (spec §6.5) is acked, not shown twice
            self._seen[key] = None
            if len(self._seen) > _SEEN_MESSAGES:
                self._seen.popitem(last=False)
            props = ReceivedMessageProperties(
                server_received_ts=frame.ts, is_offline_message=frame.offline
            )
            self._client.emit("MessageFromPeer", from_wire(frame.msg), frame.sender, props)
        # Only now may the sender hear ``has_peer_received`` (design §3).
        conn.send(Ack(d=frame.d))
