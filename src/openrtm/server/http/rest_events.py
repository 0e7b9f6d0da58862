"""REST user and channel events (spec §7.5): the destructive read of logins and joins.

``GET /dev/v2/project/{appid}/rtm/vendor/user_events`` and ``.../channel_events`` return, and
delete, the oldest events the server recorded for the App: at most 1,000 per call of the
2,000 kept (the store drops the oldest beyond that). Only the App's back end (HTTP Basic) may
read them: a read empties the feed for everyone.
"""

from __future__ import annotations

from aiohttp import web

from openrtm.server.http.context import NODE
from openrtm.server.http.errors import RestError
from openrtm.server.http.rest_auth import authenticate
from openrtm.server.http.rest_common import BASE, Budget, check_rate, new_request_id, success
from openrtm.store import EVENTS_PER_TAKE, StoreError

__all__ = ["setup"]


async def _authorize(request: web.Request) -> str:
    caller = authenticate(request)
    caller.require_customer()
    await check_rate(request, Budget.EVENTS, caller.app_id)
    return caller.app_id


def _unavailable() -> RestError:
    return RestError(503, "unavailable", "the store is not available; retry later")


async def user_events(request: web.Request) -> web.Response:
    """``GET .../rtm/vendor/user_events``: Login and Logout, oldest first."""
    app_id = await _authorize(request)
    try:
        events = await request.app[NODE].store.take_user_events(app_id, EVENTS_PER_TAKE)
    except StoreError:
        raise _unavailable() from None
    return success(
        request_id=new_request_id(),
        events=[{"user_id": e.uid, "type": e.type, "ms": e.ms} for e in events],
    )


async def channel_events(request: web.Request) -> web.Response:
    """``GET .../rtm/vendor/channel_events``: Join and Leave, oldest first."""
    app_id = await _authorize(request)
    try:
        events = await request.app[NODE].store.take_channel_events(app_id, EVENTS_PER_TAKE)
    except StoreError:
        raise _unavailable() from None
    # Spec §7.5: ``group_id`` and ``ms``, as every example of Agora's shows.
    return success(
        request_id=new_request_id(),
        events=[
            {"group_id": e.channel_id, "user_id": e.uid, "type": e.type, "ms": e.ms} for e in events
        ],
    )


def setup(app: web.Application) -> None:
    """Add the event routes."""
    # No implicit HEAD: it would run the handler, and so delete events nobody gets to see.
    app.router.add_get(BASE + "/rtm/vendor/user_events", user_events, allow_head=False)
    app.router.add_get(BASE + "/rtm/vendor/channel_events", channel_events, allow_head=False)
