"""REST peer and channel messages (spec §7.2, §7.3): an App's back end sends as a user.

``POST /dev/v2/project/{appid}/rtm/users/{user_id}/peer_messages[?wait_for_ack=true]`` goes
through :meth:`PeerService.send_as <openrtm.server.services.peers.PeerService.send_as>`: the
same routing, receipts, offline inbox (spec §6.2) and history archive (spec §6.3) as an SDK's
``sendMessageToPeer``; the receiver's SDK gets a TEXT message from ``user_id``. The answer's
``code``:

- ``message_sent``: a session of the receiver took the message (``wait_for_ack=false``), or
  took it but did not acknowledge it within the receipt timeout (``wait_for_ack=true``);
- ``message_delivered``: the receiver's SDK acknowledged it (``wait_for_ack=true`` only);
- ``message_offline``: the receiver is offline and the message was stored for its next login
  (``enable_offline_messaging``) — the current docs' name for it;
- ``peer_offline`` with ``"result": "failed"``: the receiver is offline and nothing was
  stored (the message is gone).

``POST .../rtm/users/{user_id}/channel_messages`` goes to every member of the channel but
``user_id`` (who need not log in or join), through
:meth:`ChannelService.send_as <openrtm.server.services.channels.ChannelService.send_as>`.
"""

from __future__ import annotations

import asyncio
import itertools
import secrets
import uuid
from typing import TYPE_CHECKING, Any

import msgspec
from aiohttp import web

from openrtm.engines.base import EngineUnavailable
from openrtm.protocol.codes import MessageType
from openrtm.protocol.limits import (
    is_valid_channel_id,
    is_valid_user_id,
    message_error,
    peer_message_error,
)
from openrtm.protocol.messages import Message, PeerMessageResult, SendPeerMessage
from openrtm.server.http.context import NODE
from openrtm.server.http.errors import RestError
from openrtm.server.http.rest_auth import authenticate
from openrtm.store.base import StoreError

if TYPE_CHECKING:
    from openrtm.server.node import Node

from openrtm.server.http.rest_common import (
    BASE,
    Budget,
    check_rate,
    new_request_id,
    read_json,
    success,
)

__all__ = ["ChannelMessageBody", "PeerMessageBody", "setup"]

# How much longer than the receipt timeout a request waits for the outcome, which the peer
# service always gives by then, before answering 408 (a remote broker that never answered).
_OUTCOME_MARGIN = 5.0

_WAIT_FOR_ACK = {"true": True, "false": False}
_sender_ids = itertools.count(1)
# Receipts are routed by the sender's uid and matched by session id on every node that hears
# them (issue #15): the ids of one node's REST senders must not be another node's too.
_NODE_TAG = secrets.token_hex(6)


class PeerMessageBody(msgspec.Struct):
    """The body of ``POST .../peer_messages`` (spec §7.2); unknown fields are ignored."""

    destination: str
    payload: str
    enable_offline_messaging: bool = False
    enable_historical_messaging: bool = False


class ChannelMessageBody(msgspec.Struct):
    """The body of ``POST .../channel_messages`` (spec §7.3); unknown fields are ignored."""

    channel_name: str
    payload: str
    enable_historical_messaging: bool = False


class _RestSender:
    """The :class:`~openrtm.server.services.peers.PeerSender` of one REST peer message."""

    __slots__ = ("app_id", "delivered", "outcome", "session_id", "uid")

    def __init__(self, app_id: str, uid: str) -> None:
        self.app_id = app_id
        self.uid = uid
        # Unique among the pending messages of every node, and never an SDK session's id.
        self.session_id = f"rest-{_NODE_TAG}-{next(_sender_ids)}"
        self.delivered = False
        self.outcome: asyncio.Future[PeerMessageResult | None] = (
            asyncio.get_running_loop().create_future()
        )

    def routed(self, delivered: bool) -> None:
        self.delivered = delivered

    def reply(self, request_id: int, result: Any = None) -> None:
        if not self.outcome.done():
            self.outcome.set_result(result)

    def refuse(self, request_id: int | None, code: object, message: str) -> None:
        # The offline store failed: nothing was kept, and the service logged why.
        if not self.outcome.done():
            self.outcome.set_result(None)


def _user_id(request: web.Request) -> str:
    user_id = request.match_info["user_id"]
    if not is_valid_user_id(user_id):
        raise RestError(400, "bad_request", "invalid user_id (spec §5.1)")
    return user_id


def _text_message(payload: str) -> Message:
    # Spec §5.2: non-empty, at most 32 KB of UTF-8 (the size is message_error's). A lone
    # surrogate (JSON "\ud800"), which has no UTF-8 form, never gets here: msgspec refuses it.
    if not payload:
        raise RestError(400, "bad_request", "payload must not be empty")
    return Message(type=MessageType.TEXT, text=payload)


async def send_peer_message(request: web.Request) -> web.Response:
    """``POST .../rtm/users/{user_id}/peer_messages`` (spec §7.2)."""
    caller = authenticate(request)
    user_id = _user_id(request)
    caller.act_as(user_id)
    wait = _WAIT_FOR_ACK.get(request.query.get("wait_for_ack", "false").lower())
    if wait is None:
        raise RestError(400, "bad_request", "wait_for_ack must be true or false")
    body = await read_json(request, PeerMessageBody)
    if not is_valid_user_id(body.destination):
        raise RestError(400, "bad_request", "invalid destination (spec §5.1)")
    msg = _text_message(body.payload)
    problem = peer_message_error(msg)
    if problem is not None:
        raise RestError(400, "bad_request", f"invalid payload: {problem}")
    await check_rate(request, Budget.MESSAGES, caller.app_id)
    node = request.app[NODE]
    sender = _RestSender(caller.app_id, user_id)
    if wait:
        # The receipt is routed to the sender's uid (services/peers.py): across nodes, this
        # node must hear that uid while it waits (a no-op for a single node).
        node.broker.subscribe_user(caller.app_id, user_id)
        try:
            try:
                await node.broker.user_subscribed(caller.app_id, user_id)
            except EngineUnavailable:
                raise RestError(503, "unavailable", "the message router is unavailable") from None
            return await _send_peer(node, sender, body, msg, wait)
        finally:
            node.broker.unsubscribe_user(caller.app_id, user_id)
    return await _send_peer(node, sender, body, msg, wait)


async def _send_peer(
    node: Node, sender: _RestSender, body: PeerMessageBody, msg: Message, wait: bool
) -> web.Response:
    routed = asyncio.get_running_loop().create_future()

    def on_routed(delivered: bool) -> None:
        sender.routed(delivered)
        if not routed.done():
            routed.set_result(delivered)

    archived = node.peers.send_as(
        sender,
        SendPeerMessage(
            id=1,
            to=body.destination,
            mid=uuid.uuid4().hex,
            msg=msg,
            offline=body.enable_offline_messaging,
            history=body.enable_historical_messaging,
        ),
        on_routed,
    )
    request_id = new_request_id()
    # Without wait_for_ack, a session that took the message is enough; otherwise (and for an
    # offline receiver) the peer service's answer: a receipt, a timeout, or the store's.
    waiting: set[asyncio.Future[Any]] = {sender.outcome} if wait else {sender.outcome, routed}
    timeout = node.config.peer_ack_timeout + _OUTCOME_MARGIN
    deadline = asyncio.get_running_loop().time() + timeout
    while waiting:
        done, waiting = await asyncio.wait(
            waiting,
            timeout=max(0.0, deadline - asyncio.get_running_loop().time()),
            return_when=asyncio.FIRST_COMPLETED,
        )
        if not done:
            raise RestError(408, "timeout", "no answer from the message router in time")
        if sender.outcome in done:
            return _peer_outcome(request_id, sender)
        if routed.result():
            if archived is not None:
                # Issue #15: a message sent with history is archived before the answer.
                try:
                    await archived
                except StoreError:
                    raise RestError(
                        503, "unavailable", "could not archive the message; retry later"
                    ) from None
            return success(request_id=request_id, code="message_sent")
    raise AssertionError("unreachable")  # pragma: no cover


def _peer_outcome(request_id: str, sender: _RestSender) -> web.Response:
    result = sender.outcome.result()
    if result is None:
        raise RestError(503, "unavailable", "could not store the message; retry later")
    assert isinstance(result, PeerMessageResult)
    if result.received:
        return success(request_id=request_id, code="message_delivered")
    if result.cached:
        return success(request_id=request_id, code="message_offline")
    if sender.delivered:
        return success(request_id=request_id, code="message_sent")  # no receipt in time
    return web.json_response({"result": "failed", "request_id": request_id, "code": "peer_offline"})


async def send_channel_message(request: web.Request) -> web.Response:
    """``POST .../rtm/users/{user_id}/channel_messages`` (spec §7.3)."""
    caller = authenticate(request)
    user_id = _user_id(request)
    caller.act_as(user_id)
    body = await read_json(request, ChannelMessageBody)
    if not is_valid_channel_id(body.channel_name):
        raise RestError(400, "bad_request", "invalid channel_name (spec §5.1)")
    msg = _text_message(body.payload)
    problem = message_error(msg)
    if problem is not None:
        raise RestError(400, "bad_request", f"invalid payload: {problem}")
    await check_rate(request, Budget.MESSAGES, caller.app_id)
    archived = request.app[NODE].channels.send_as(
        caller.app_id,
        user_id,
        body.channel_name,
        uuid.uuid4().hex,
        msg,
        body.enable_historical_messaging,
    )
    if archived is not None:
        # Issue #15: a message sent with history is archived before the answer.
        try:
            await archived
        except StoreError:
            raise RestError(
                503, "unavailable", "could not archive the message; retry later"
            ) from None
    return success(request_id=new_request_id(), code="message_sent")


def setup(app: web.Application) -> None:
    """Add the message routes."""
    app.router.add_post(BASE + "/rtm/users/{user_id}/peer_messages", send_peer_message)
    app.router.add_post(BASE + "/rtm/users/{user_id}/channel_messages", send_channel_message)
