"""The REST message history (spec §7.4) over the history engine (:mod:`openrtm.server.history`).

- ``POST /dev/v2/project/{appid}/rtm/message/history/query`` starts a query and answers where
  to poll: ``{"result", "offset", "limit", "order", "location"}``;
- ``GET .../rtm/message/history/query/{handle}`` answers ``"in progress"`` or ``"ok"`` with the
  messages; 410 once the handle is unknown, expired or another App's;
- ``GET .../rtm/message/history/count?source=&destination=&start_time=&end_time=`` counts.

The engine enforces the App's call budget (spec §5.4: 10 a second, the three together) and
bounds its live handles; both are 429 here. Only the App's back end (HTTP Basic) may read the
history: it holds every user's messages.
"""

from __future__ import annotations

import math

from aiohttp import web

from openrtm.server.history import (
    HandleGone,
    HistoryQueryError,
    HistoryTooOften,
    TooManyHandles,
    parse_count_query,
    parse_history_query,
)
from openrtm.server.http.context import NODE
from openrtm.server.http.errors import RestError
from openrtm.server.http.rest_auth import authenticate
from openrtm.server.http.rest_common import BASE, read_json_value, success
from openrtm.store import StoreError

__all__ = ["setup"]

_LOCATION = "~/rtm/message/history/query/"


def _customer_app(request: web.Request) -> str:
    caller = authenticate(request)
    caller.require_customer()
    return caller.app_id


def _too_often(retry_after: float = 1.0) -> RestError:
    return RestError(
        429,
        "too_many_requests",
        "over this App's REST history rate limit",
        {"Retry-After": str(max(1, math.ceil(retry_after)))},
    )


def _unavailable() -> RestError:
    return RestError(503, "unavailable", "the store is not available; retry later")


async def create_query(request: web.Request) -> web.Response:
    """``POST .../rtm/message/history/query``."""
    app_id = _customer_app(request)
    body = await read_json_value(request)
    try:
        query = parse_history_query(body)
        handle = await request.app[NODE].history.open_query(app_id, query)
    except HistoryQueryError as exc:
        raise RestError(400, "bad_request", exc.detail) from None
    except HistoryTooOften:
        raise _too_often() from None
    except TooManyHandles as exc:
        raise RestError(
            429,
            "too_many_requests",
            exc.detail,
            {"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
        ) from None
    except StoreError:
        raise _unavailable() from None
    return success(
        offset=query.offset, limit=query.limit, order=query.order, location=_LOCATION + handle
    )


async def poll_query(request: web.Request) -> web.Response:
    """``GET .../rtm/message/history/query/{handle}``."""
    app_id = _customer_app(request)
    try:
        poll = await request.app[NODE].history.read_query(app_id, request.match_info["handle"])
    except HandleGone as exc:
        raise RestError(410, "gone", exc.detail) from None
    except HistoryTooOften:
        raise _too_often() from None
    except StoreError:
        raise _unavailable() from None
    return success(code=poll.status, messages=poll.messages)


async def count(request: web.Request) -> web.Response:
    """``GET .../rtm/message/history/count``."""
    app_id = _customer_app(request)
    try:
        history_filter = parse_count_query(request.query)
        total = await request.app[NODE].history.count(app_id, history_filter)
    except HistoryQueryError as exc:
        raise RestError(400, "bad_request", exc.detail) from None
    except HistoryTooOften:
        raise _too_often() from None
    except StoreError:
        raise _unavailable() from None
    return success(code="ok", count=total)


def setup(app: web.Application) -> None:
    """Add the history routes."""
    # No implicit HEAD: it would use up the App's history budget for nothing.
    app.router.add_post(BASE + "/rtm/message/history/query", create_query)
    app.router.add_get(BASE + "/rtm/message/history/query/{handle}", poll_query, allow_head=False)
    app.router.add_get(BASE + "/rtm/message/history/count", count, allow_head=False)
