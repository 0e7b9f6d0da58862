"""Frames of user and channel attributes (spec §1.2, §1.7, §4.12, §5.3, §6.6, §6.7).

Part of the wire protocol of :mod:`openrtm.protocol.messages` (``docs/protocol.md``).
"""

from __future__ import annotations

import msgspec

from openrtm.protocol.codes import AttributeOperationError
from openrtm.protocol.messages import Request, ServerFrame

__all__ = [
    "AttributeRequest",
    "ChannelAttributeValue",
    "ChannelAttributesPush",
    "ChannelAttributesResult",
    "ClearChannelAttributes",
    "ClearUserAttributes",
    "DeleteChannelAttributes",
    "DeleteUserAttributes",
    "GetChannelAttributes",
    "GetUserAttributes",
    "SetChannelAttributes",
    "SetUserAttributes",
    "UpdateChannelAttributes",
    "UpdateUserAttributes",
    "UserAttributesResult",
]


class AttributeRequest(Request):
    """Base of the attribute requests: they share ATTRIBUTE_OPERATION_ERR (spec §4.12)."""

    errors = AttributeOperationError
    invalid_code = AttributeOperationError.INVALID_ARGUMENT
    not_logged_in_code = AttributeOperationError.USER_NOT_LOGGED_IN


class SetUserAttributes(AttributeRequest, tag="set_user_attrs"):
    """Replace this user's attributes with ``attrs``."""

    attrs: dict[str, str]


class UpdateUserAttributes(AttributeRequest, tag="update_user_attrs"):
    """Add or update this user's attributes by key."""

    attrs: dict[str, str]


class DeleteUserAttributes(AttributeRequest, tag="delete_user_attrs"):
    """Delete this user's attributes of ``keys`` (missing keys are ignored)."""

    keys: list[str]


class ClearUserAttributes(AttributeRequest, tag="clear_user_attrs"):
    """Delete all of this user's attributes."""


class GetUserAttributes(AttributeRequest, tag="get_user_attrs"):
    """Read an online user's attributes, all or those of ``keys`` (missing keys absent)."""

    uid: str
    keys: list[str] | None = None


class UserAttributesResult(msgspec.Struct, kw_only=True):
    """What ``get_user_attrs`` replies."""

    attrs: dict[str, str]


class ChannelAttributeValue(msgspec.Struct, kw_only=True):
    """One channel attribute: its value, who set it last and when (ms)."""

    value: str
    user: str
    ts: int


class SetChannelAttributes(AttributeRequest, tag="set_channel_attrs"):
    """Replace ``channel``'s attributes; ``notify`` pushes the full set to its members."""

    channel: str
    attrs: dict[str, str]
    notify: bool = False


class UpdateChannelAttributes(AttributeRequest, tag="update_channel_attrs"):
    """Add or update ``channel``'s attributes by key."""

    channel: str
    attrs: dict[str, str]
    notify: bool = False


class DeleteChannelAttributes(AttributeRequest, tag="delete_channel_attrs"):
    """Delete ``channel``'s attributes of ``keys``."""

    channel: str
    keys: list[str]
    notify: bool = False


class ClearChannelAttributes(AttributeRequest, tag="clear_channel_attrs"):
    """Delete all of ``channel``'s attributes."""

    channel: str
    notify: bool = False


class GetChannelAttributes(AttributeRequest, tag="get_channel_attrs"):
    """Read ``channel``'s attributes, all or those of ``keys``; no membership needed."""

    channel: str
    keys: list[str] | None = None


class ChannelAttributesResult(msgspec.Struct, kw_only=True):
    """What ``get_channel_attrs`` replies."""

    attrs: dict[str, ChannelAttributeValue]


class ChannelAttributesPush(ServerFrame, tag="channel_attrs"):
    """``channel``'s complete attribute set, after a write that asked to notify (spec §6.7)."""

    channel: str
    attrs: dict[str, ChannelAttributeValue]
