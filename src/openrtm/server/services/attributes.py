"""User and channel attributes (spec §1.7, §4.12, §5.3, §6.6, §6.7).

User attributes belong to a login session: the Session holds them (so a merge needs no round
trip) and the engine's Presence holds a copy for readers on any node; both go when the session
ends. Channel attributes are durable, in the Store, and anyone logged in may read or write
them without joining. A channel write is checked against the limits on the *merged* result
inside the store's single writer, so two concurrent writers cannot together break a limit. A
write that asks to notify pushes the complete set to every member (the writer too, if joined).
A channel with no members keeps its attributes for ``channel_attributes_ttl`` seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from openrtm.engines.base import AttributesChanged, EngineUnavailable
from openrtm.protocol.attributes import (
    ChannelAttributesResult,
    ChannelAttributeValue,
    ClearChannelAttributes,
    ClearUserAttributes,
    DeleteChannelAttributes,
    DeleteUserAttributes,
    GetChannelAttributes,
    GetUserAttributes,
    SetChannelAttributes,
    SetUserAttributes,
    UpdateChannelAttributes,
    UpdateUserAttributes,
    UserAttributesResult,
)
from openrtm.protocol.codes import AttributeOperationError as Err
from openrtm.protocol.limits import (
    CHANNEL_ATTRIBUTE_READ_RATE,
    CHANNEL_ATTRIBUTE_WRITE_RATE,
    MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES,
    MAX_USER_ATTRIBUTES_TOTAL_BYTES,
    USER_ATTRIBUTE_READ_RATE,
    USER_ATTRIBUTE_WRITE_RATE,
    RateLimit,
    attribute_keys_error,
    attribute_map_error,
    is_valid_channel_id,
    is_valid_user_id,
)
from openrtm.protocol.messages import ClientMessage
from openrtm.server.timers import now_ms
from openrtm.store.base import AttributeRefused, ChannelAttribute

if TYPE_CHECKING:
    from openrtm.server.node import Node
    from openrtm.server.session import Session

__all__ = ["AttributeService"]

log = logging.getLogger("openrtm.attributes")

_USER_WRITES = "user_attribute_writes"
_CHANNEL_WRITES = "channel_attribute_writes"
ChannelRequest = (
    SetChannelAttributes
    | UpdateChannelAttributes
    | DeleteChannelAttributes
    | ClearChannelAttributes
)


def _channel_check(merged: dict[str, str]) -> str | None:
    problem = attribute_map_error(merged, MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES)
    return problem[1] if problem else None


def _wire(attrs: dict[str, ChannelAttribute]) -> dict[str, ChannelAttributeValue]:
    return {
        key: ChannelAttributeValue(value=a.value, user=a.last_update_user_id, ts=a.last_update_ts)
        for key, a in attrs.items()
    }


class AttributeService:
    """Owns the six user-attribute and six channel-attribute operations."""

    def __init__(self, node: Node) -> None:
        self._node = node

    def handlers(self) -> dict[type[ClientMessage], Callable[[Session, Any], None]]:
        """The requests this service answers."""
        return {
            SetUserAttributes: self.set_user,
            UpdateUserAttributes: self.update_user,
            DeleteUserAttributes: self.delete_user,
            ClearUserAttributes: self.clear_user,
            GetUserAttributes: self.get_user,
            SetChannelAttributes: self.write_channel,
            UpdateChannelAttributes: self.write_channel,
            DeleteChannelAttributes: self.write_channel,
            ClearChannelAttributes: self.write_channel,
            GetChannelAttributes: self.get_channel,
        }

    # --- user attributes (spec §6.6) -------------------------------------------------------

    def set_user(self, session: Session, request: SetUserAttributes) -> None:
        """Replace this user's attributes."""
        if self._map_refused(session, request.id, request.attrs, empty_ok=False):
            return
        self._write_user(session, request.id, dict(request.attrs))

    def update_user(self, session: Session, request: UpdateUserAttributes) -> None:
        """Add or update this user's attributes by key; limits apply to the merged set."""
        if self._map_refused(session, request.id, request.attrs, empty_ok=False):
            return
        self._write_user(session, request.id, {**session.user_attrs, **request.attrs})

    def delete_user(self, session: Session, request: DeleteUserAttributes) -> None:
        """Delete this user's attributes of the given keys."""
        problem = attribute_keys_error(request.keys)
        if problem is not None:
            session.refuse(request.id, Err.INVALID_ARGUMENT, problem)
            return
        keys = set(request.keys)
        merged = {k: v for k, v in session.user_attrs.items() if k not in keys}
        self._write_user(session, request.id, merged)

    def clear_user(self, session: Session, request: ClearUserAttributes) -> None:
        """Delete all of this user's attributes."""
        self._write_user(session, request.id, {})

    def _map_refused(
        self, session: Session, request_id: int, attrs: dict[str, str], *, empty_ok: bool
    ) -> bool:
        if not attrs and not empty_ok:
            session.refuse(request_id, Err.INVALID_ARGUMENT, "no attributes given")
            return True
        problem = attribute_map_error(attrs, MAX_USER_ATTRIBUTES_TOTAL_BYTES)
        if problem is not None:
            overflow, why = problem
            session.refuse(request_id, Err.SIZE_OVERFLOW if overflow else Err.INVALID_ARGUMENT, why)
            return True
        return False

    def _write_user(self, session: Session, request_id: int, merged: dict[str, str]) -> None:
        problem = attribute_map_error(merged, MAX_USER_ATTRIBUTES_TOTAL_BYTES)
        if problem is not None:
            session.refuse(request_id, Err.SIZE_OVERFLOW, problem[1])
        elif not self._too_often(session, request_id, _USER_WRITES, USER_ATTRIBUTE_WRITE_RATE):
            session.user_attrs = merged
            presence = self._node.presence
            self._complete(
                session,
                request_id,
                presence.set_user_attributes(
                    session.app_id, session.uid, session.session_id, merged
                ),
            )

    def get_user(self, session: Session, request: GetUserAttributes) -> None:
        """Read an online user's attributes; an offline one is USER_NOT_FOUND (6)."""
        problem = None if is_valid_user_id(request.uid) else "invalid user id"
        if problem is None and request.keys is not None:
            problem = attribute_keys_error(request.keys)
        if problem is not None:
            session.refuse(request.id, Err.INVALID_ARGUMENT, problem)
        elif not self._too_often(session, request.id, GetUserAttributes, USER_ATTRIBUTE_READ_RATE):
            self._node.spawn(self._get_user(session, request))

    async def _get_user(self, session: Session, request: GetUserAttributes) -> None:
        try:
            attrs = await self._node.presence.get_user_attributes(session.app_id, request.uid)
        except EngineUnavailable as exc:
            log.warning("user attributes unavailable: %s", exc)
            session.refuse(request.id, Err.FAILURE, "server unavailable, try again")
            return
        if attrs is None:
            session.refuse(request.id, Err.USER_NOT_FOUND, "the user requested is not online")
            return
        if request.keys is not None:
            attrs = {k: attrs[k] for k in request.keys if k in attrs}
        session.reply(request.id, UserAttributesResult(attrs=attrs))

    # --- channel attributes (spec §6.7) -----------------------------------------------------

    def write_channel(self, session: Session, request: ChannelRequest) -> None:
        """Set, update, delete or clear a channel's attributes; notify members if asked."""
        if not is_valid_channel_id(request.channel):
            session.refuse(request.id, Err.INVALID_ARGUMENT, "invalid channel id")
            return
        problem: tuple[bool, str] | None = None
        if isinstance(request, SetChannelAttributes | UpdateChannelAttributes):
            problem = (
                (False, "no attributes given")
                if not request.attrs
                else attribute_map_error(request.attrs, MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES)
            )
        elif isinstance(request, DeleteChannelAttributes):
            why = attribute_keys_error(request.keys)
            problem = (False, why) if why else None
        if problem is not None:
            overflow, why = problem
            session.refuse(request.id, Err.SIZE_OVERFLOW if overflow else Err.INVALID_ARGUMENT, why)
        elif not self._too_often(
            session, request.id, _CHANNEL_WRITES, CHANNEL_ATTRIBUTE_WRITE_RATE
        ):
            self._node.spawn(self._write_channel(session, request))

    async def _write_channel(self, session: Session, request: ChannelRequest) -> None:
        store, app_id, channel = self._node.store, session.app_id, request.channel
        uid, ts = session.uid, now_ms()
        try:
            if isinstance(request, SetChannelAttributes):
                attrs = await store.set_channel_attributes(
                    app_id, channel, request.attrs, user_id=uid, ts=ts, check=_channel_check
                )
            elif isinstance(request, UpdateChannelAttributes):
                attrs = await store.update_channel_attributes(
                    app_id, channel, request.attrs, user_id=uid, ts=ts, check=_channel_check
                )
            elif isinstance(request, DeleteChannelAttributes):
                attrs = await store.delete_channel_attributes(app_id, channel, request.keys)
            else:
                attrs = await store.clear_channel_attributes(app_id, channel)
        except AttributeRefused as exc:
            session.refuse(request.id, Err.SIZE_OVERFLOW, exc.detail)
            return
        session.reply(request.id)
        if request.notify:
            self._node.broker.publish_channel(
                app_id, channel, AttributesChanged(attrs=_wire(attrs))
            )
        if attrs:
            self._node.channels.expire_attributes_when_empty(app_id, channel)

    def get_channel(self, session: Session, request: GetChannelAttributes) -> None:
        """Read a channel's attributes, all or by keys; no membership needed."""
        problem = None if is_valid_channel_id(request.channel) else "invalid channel id"
        if problem is None and request.keys is not None:
            problem = attribute_keys_error(request.keys)
        if problem is not None:
            session.refuse(request.id, Err.INVALID_ARGUMENT, problem)
        elif not self._too_often(
            session, request.id, GetChannelAttributes, CHANNEL_ATTRIBUTE_READ_RATE
        ):
            self._node.spawn(self._get_channel(session, request))

    async def _get_channel(self, session: Session, request: GetChannelAttributes) -> None:
        attrs = await self._node.store.get_channel_attributes(
            session.app_id, request.channel, request.keys
        )
        session.reply(request.id, ChannelAttributesResult(attrs=_wire(attrs)))

    # --- shared -----------------------------------------------------------------------------

    def _too_often(self, session: Session, request_id: int, key: object, limit: RateLimit) -> bool:
        """Refuse with TOO_OFTEN (5) and return True when over ``limit`` (spec §5.4)."""
        if session.within((key, limit)) >= 0:
            session.refuse(request_id, Err.TOO_OFTEN, "called too often")
            return True
        return False

    def _complete(self, session: Session, request_id: int, work: Awaitable[None]) -> None:
        async def run() -> None:
            try:
                await work
            except EngineUnavailable as exc:
                # Redis down or slow (issue #15): a clear failure, not a hang (protocol §4).
                log.warning("attribute operation failed: %s", exc)
                session.refuse(request_id, Err.FAILURE, "server unavailable, try again")
                return
            session.reply(request_id)

        self._node.spawn(run())
