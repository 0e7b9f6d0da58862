"""The SDK's attribute calls: the local user's and channels' (spec §1.2, §1.7, §6.6, §6.7).

``RtmClient`` delegates its attribute methods here. Limits are checked before sending, on the
merged result where the operation merges (spec §5.3), with the server's codes. The last
successfully written user attributes are kept, to be written again after a reconnect.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import msgspec

from openrtm.errors import error_for
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

if TYPE_CHECKING:
    from openrtm.client.client import RtmClient

__all__ = [
    "AttributeCalls",
    "AttributeMethods",
    "ChannelAttribute",
    "ChannelAttributeOptions",
    "from_wire",
]


@dataclass(frozen=True, slots=True)
class ChannelAttribute:
    """One channel attribute (spec §1.7 ``ChannelAttributeProperties``)."""

    value: str
    last_update_user_id: str
    last_update_ts: int


@dataclass(frozen=True, slots=True)
class ChannelAttributeOptions:
    """Options of a channel-attribute write (spec §1.7), for that call only.

    Attributes:
        enable_notification_to_channel_members: push the complete set to every member.
    """

    enable_notification_to_channel_members: bool = False

    @classmethod
    def coerce(
        cls, options: ChannelAttributeOptions | dict[str, Any] | None
    ) -> ChannelAttributeOptions:
        """Accept this class, a dict (snake_case or the Web's camelCase) or None."""
        if options is None or isinstance(options, ChannelAttributeOptions):
            return options or cls()
        return cls(
            bool(
                options.get(
                    "enable_notification_to_channel_members",
                    options.get("enableNotificationToChannelMembers"),
                )
            )
        )


def from_wire(attrs: dict[str, ChannelAttributeValue]) -> dict[str, ChannelAttribute]:
    """The app's view of channel attributes as the protocol carries them."""
    return {k: ChannelAttribute(a.value, a.user, a.ts) for k, a in attrs.items()}


_USER_WRITES, _CHANNEL_WRITES = "user_attribute_writes", "channel_attribute_writes"


class AttributeCalls:
    """Attributes for one client.

    Attributes:
        local: the user attributes last written successfully (re-written after a reconnect).
    """

    def __init__(self, client: RtmClient) -> None:
        self._client = client
        self.local: dict[str, str] = {}

    # --- the local user's ------------------------------------------------------------------

    async def set_local(self, attrs: dict[str, str]) -> None:
        """Replace this user's attributes."""
        self._check_map(attrs, MAX_USER_ATTRIBUTES_TOTAL_BYTES)
        await self._write_local(SetUserAttributes, dict(attrs), attrs=dict(attrs))

    async def update_local(self, attrs: dict[str, str]) -> None:
        """Add or update this user's attributes by key."""
        self._check_map(attrs, MAX_USER_ATTRIBUTES_TOTAL_BYTES)
        merged = {**self.local, **attrs}
        self._check_merged(merged, MAX_USER_ATTRIBUTES_TOTAL_BYTES)
        await self._write_local(UpdateUserAttributes, merged, attrs=dict(attrs))

    async def delete_local(self, keys: Iterable[str]) -> None:
        """Delete this user's attributes of ``keys``."""
        keys = list(keys)
        self._check_keys(keys)
        merged = {k: v for k, v in self.local.items() if k not in set(keys)}
        await self._write_local(DeleteUserAttributes, merged, keys=keys)

    async def clear_local(self) -> None:
        """Delete all of this user's attributes."""
        await self._write_local(ClearUserAttributes, {})

    async def _write_local(self, kind: type, result: dict[str, str], **fields: Any) -> None:
        self._logged_in()
        self._not_too_often(_USER_WRITES, USER_ATTRIBUTE_WRITE_RATE)
        await self._client.call(kind, Err, **fields)
        self.local = result

    async def get_user(self, uid: str, keys: Iterable[str] | None = None) -> dict[str, str]:
        """Read an online user's attributes (code 6 when offline)."""
        self._logged_in()
        if not is_valid_user_id(uid):
            raise error_for(Err.INVALID_ARGUMENT, "invalid user id")
        key_list = None if keys is None else list(keys)
        if key_list is not None:
            self._check_keys(key_list)
        self._not_too_often(GetUserAttributes, USER_ATTRIBUTE_READ_RATE)
        result = await self._client.call(GetUserAttributes, Err, uid=uid, keys=key_list)
        return msgspec.convert(result, UserAttributesResult).attrs

    # --- channels' ---------------------------------------------------------------------------

    async def write_channel(
        self,
        kind: type,
        channel_id: str,
        options: ChannelAttributeOptions | dict[str, Any] | None,
        **fields: Any,
    ) -> None:
        """Set, update (``attrs``), delete (``keys``) or clear a channel's attributes."""
        self._logged_in()
        if not is_valid_channel_id(channel_id):
            raise error_for(Err.INVALID_ARGUMENT, "invalid channel id")
        if "attrs" in fields:
            self._check_map(fields["attrs"], MAX_CHANNEL_ATTRIBUTES_TOTAL_BYTES)
        if "keys" in fields:
            fields["keys"] = list(fields["keys"])
            self._check_keys(fields["keys"])
        self._not_too_often(_CHANNEL_WRITES, CHANNEL_ATTRIBUTE_WRITE_RATE)
        notify = ChannelAttributeOptions.coerce(options).enable_notification_to_channel_members
        await self._client.call(kind, Err, channel=channel_id, notify=notify, **fields)

    async def get_channel(
        self, channel_id: str, keys: Iterable[str] | None = None
    ) -> dict[str, ChannelAttribute]:
        """Read a channel's attributes, all or by keys; no membership needed."""
        self._logged_in()
        if not is_valid_channel_id(channel_id):
            raise error_for(Err.INVALID_ARGUMENT, "invalid channel id")
        key_list = None if keys is None else list(keys)
        if key_list is not None:
            self._check_keys(key_list)
        self._not_too_often(GetChannelAttributes, CHANNEL_ATTRIBUTE_READ_RATE)
        result = await self._client.call(
            GetChannelAttributes, Err, channel=channel_id, keys=key_list
        )
        return from_wire(msgspec.convert(result, ChannelAttributesResult).attrs)

    # --- checks ------------------------------------------------------------------------------

    def _logged_in(self) -> None:
        if not self._client.logged_in:
            raise error_for(Err.USER_NOT_LOGGED_IN, "not logged in")

    def _not_too_often(self, key: object, limit: RateLimit) -> None:
        if self._client.within((key, limit)) >= 0:
            raise error_for(Err.TOO_OFTEN, "called too often")

    @staticmethod
    def _check_map(attrs: object, total_limit: int) -> None:
        if isinstance(attrs, dict) and not attrs:
            raise error_for(Err.INVALID_ARGUMENT, "no attributes given")
        problem = attribute_map_error(attrs, total_limit)
        if problem is not None:
            raise error_for(Err.SIZE_OVERFLOW if problem[0] else Err.INVALID_ARGUMENT, problem[1])

    @staticmethod
    def _check_merged(merged: dict[str, str], total_limit: int) -> None:
        problem = attribute_map_error(merged, total_limit)
        if problem is not None:
            raise error_for(Err.SIZE_OVERFLOW, problem[1])

    @staticmethod
    def _check_keys(keys: list[str]) -> None:
        problem = attribute_keys_error(keys)
        if problem is not None:
            raise error_for(Err.INVALID_ARGUMENT, problem)


class AttributeMethods:
    """``RtmClient``'s attribute methods (design §4), delegating to :class:`AttributeCalls`."""

    _attributes: AttributeCalls

    async def set_local_user_attributes(self, attrs: dict[str, str]) -> None:
        """Replace this user's attributes (``setLocalUserAttributes``)."""
        await self._attributes.set_local(attrs)

    async def add_or_update_local_user_attributes(self, attrs: dict[str, str]) -> None:
        """Add or update this user's attributes (``addOrUpdateLocalUserAttributes``)."""
        await self._attributes.update_local(attrs)

    async def delete_local_user_attributes_by_keys(self, keys: list[str]) -> None:
        """Delete this user's attributes of ``keys`` (``deleteLocalUserAttributesByKeys``)."""
        await self._attributes.delete_local(keys)

    async def clear_local_user_attributes(self) -> None:
        """Delete all of this user's attributes (``clearLocalUserAttributes``)."""
        await self._attributes.clear_local()

    async def get_user_attributes(self, uid: str) -> dict[str, str]:
        """An online user's attributes (``getUserAttributes``); code 6 when offline."""
        return await self._attributes.get_user(uid)

    async def get_user_attributes_by_keys(self, uid: str, keys: list[str]) -> dict[str, str]:
        """An online user's attributes of ``keys`` (``getUserAttributesByKeys``)."""
        return await self._attributes.get_user(uid, keys)

    async def set_channel_attributes(
        self,
        channel_id: str,
        attrs: dict[str, str],
        options: ChannelAttributeOptions | dict[str, Any] | None = None,
    ) -> None:
        """Replace a channel's attributes (``setChannelAttributes``); no membership needed."""
        await self._attributes.write_channel(SetChannelAttributes, channel_id, options, attrs=attrs)

    async def add_or_update_channel_attributes(
        self,
        channel_id: str,
        attrs: dict[str, str],
        options: ChannelAttributeOptions | dict[str, Any] | None = None,
    ) -> None:
        """Add or update a channel's attributes (``addOrUpdateChannelAttributes``)."""
        await self._attributes.write_channel(
            UpdateChannelAttributes, channel_id, options, attrs=attrs
        )

    async def delete_channel_attributes_by_keys(
        self,
        channel_id: str,
        keys: list[str],
        options: ChannelAttributeOptions | dict[str, Any] | None = None,
    ) -> None:
        """Delete a channel's attributes of ``keys`` (``deleteChannelAttributesByKeys``)."""
        await self._attributes.write_channel(
            DeleteChannelAttributes, channel_id, options, keys=keys
        )

    async def clear_channel_attributes(
        self, channel_id: str, options: ChannelAttributeOptions | dict[str, Any] | None = None
    ) -> None:
        """Delete all of a channel's attributes (``clearChannelAttributes``)."""
        await self._attributes.write_channel(ClearChannelAttributes, channel_id, options)

    async def get_channel_attributes(self, channel_id: str) -> dict[str, ChannelAttribute]:
        """A channel's attributes (``getChannelAttributes``); no membership needed."""
        return await self._attributes.get_channel(channel_id)

    async def get_channel_attributes_by_keys(
        self, channel_id: str, keys: list[str]
    ) -> dict[str, ChannelAttribute]:
        """A channel's attributes of ``keys`` (``getChannelAttributesByKeys``)."""
        return await self._attributes.get_channel(channel_id, keys)
