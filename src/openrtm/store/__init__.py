"""Durable server state behind one small seam (design §2): see :mod:`openrtm.store.base`."""

from __future__ import annotations

from openrtm.store.base import (
    EVENTS_KEPT_PER_APP,
    EVENTS_PER_TAKE,
    INBOX_CAP,
    INBOX_TTL_MS,
    AttributeCheck,
    AttributeRefused,
    ChannelAttribute,
    ChannelAttributes,
    ChannelEventRecord,
    ChannelEventType,
    HistoryDestinationKind,
    HistoryOrder,
    HistoryRecord,
    InboxEntry,
    MediaRecord,
    Store,
    StoreError,
    UserEventRecord,
    UserEventType,
)
from openrtm.store.sqlite import SqliteStore

__all__ = [
    "EVENTS_KEPT_PER_APP",
    "EVENTS_PER_TAKE",
    "INBOX_CAP",
    "INBOX_TTL_MS",
    "AttributeCheck",
    "AttributeRefused",
    "ChannelAttribute",
    "ChannelAttributes",
    "ChannelEventRecord",
    "ChannelEventType",
    "HistoryDestinationKind",
    "HistoryOrder",
    "HistoryRecord",
    "InboxEntry",
    "MediaRecord",
    "SqliteStore",
    "Store",
    "StoreError",
    "UserEventRecord",
    "UserEventType",
]
