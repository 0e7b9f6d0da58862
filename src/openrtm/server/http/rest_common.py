"""What every REST endpoint shares: its base path, JSON bodies, request ids, rate limits.

Rate limits are per App, as Agora's (spec §5.4): peer and channel messages combined, and user
and channel event reads combined, each ``N`` per second over a sliding window
(:class:`~openrtm.protocol.limits.CallWindow`). Over the limit is 429 with ``Retry-After: 1``.
(The history engine keeps the history API's own limit: ``HistoryTooOften``.)
"""

from __future__ import annotations

import uuid
from enum import Enum
from typing import TypeVar

import msgspec
from aiohttp import web

from openrtm.protocol.limits import CallWindow, RateLimit
from openrtm.server.http.context import NODE
from openrtm.server.http.errors import RestError
from openrtm.store.base import StoreError

__all__ = [
    "BASE",
    "RATE_LIMITS",
    "Budget",
    "RestRateLimits",
    "check_rate",
    "new_request_id",
    "read_json",
    "read_json_value",
    "setup",
    "success",
]

BASE = "/dev/v2/project/{appid}"
"""Every REST path starts here (spec §7: ``https://api.agora.io/dev/v2/project/<appid>``)."""

T = TypeVar("T")


class Budget(Enum):
    """The per-App budgets of spec §5.4."""

    MESSAGES = "messages"
    EVENTS = "events"


class RestRateLimits:
    """The per-App sliding windows of every REST budget."""

    def __init__(self, messages: int, events: int) -> None:
        self._limits = {
            Budget.MESSAGES: RateLimit(messages, 1.0),
            Budget.EVENTS: RateLimit(events, 1.0),
        }
        self._windows: dict[tuple[Budget, str], CallWindow] = {}

    def limit(self, budget: Budget) -> RateLimit:
        """The calls allowed per window of ``budget``."""
        return self._limits[budget]

    def allow(self, budget: Budget, app_id: str, now: float) -> bool:
        """Count one call of ``app_id`` against ``budget``; False when over it."""
        key = (budget, app_id)
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = CallWindow(self._limits[budget])
        return window.allow(now)


RATE_LIMITS = web.AppKey("rest_rate_limits", RestRateLimits)
"""The application's :class:`RestRateLimits`."""


def setup(app: web.Application) -> None:
    """Give the application its REST rate limits, from the node's configuration."""
    config = app[NODE].config
    app[RATE_LIMITS] = RestRateLimits(config.rest_message_rate, config.rest_events_rate)


async def check_rate(request: web.Request, budget: Budget, app_id: str) -> None:
    """Count this request against ``app_id``'s ``budget``.

    On one node the count is in memory (a sliding window). In a cluster it is shared by
    every node (issue #15): one counter per App and budget in the store, a fixed window of a
    second, so that N nodes allow the App's budget once, not N times.

    Raises:
        RestError: 429 ``too_many_requests``; 503 if the shared count is unavailable.
    """
    node = request.app[NODE]
    limits = request.app[RATE_LIMITS]
    if node.config.clustered:
        limit = limits.limit(budget)
        try:
            calls = await node.store.count_call(app_id, budget.value, int(limit.window * 1000))
        except StoreError:
            raise RestError(503, "unavailable", "the store is not available; retry later") from None
        allowed = calls <= limit.calls
    else:
        allowed = limits.allow(budget, app_id, node.timers.now())
    if not allowed:
        raise RestError(
            429,
            "too_many_requests",
            f"over this App's REST {budget.value} rate limit",
            {"Retry-After": "1"},
        )


async def read_json(request: web.Request, body_type: type[T]) -> T:
    """Read and validate a JSON body as ``body_type`` (a msgspec Struct).

    Raises:
        RestError: 415 ``unsupported_media_type`` unless ``application/json`` (UTF-8); 400
            ``bad_request`` for malformed JSON or fields.
        aiohttp.web.HTTPRequestEntityTooLarge: a body over the application's size limit
            (answered 413 in JSON by the error middleware).
    """
    body = await _json_body(request)
    try:
        return msgspec.json.decode(body, type=body_type)
    except msgspec.ValidationError as exc:
        # msgspec says which field and why ("Expected `str`, got `int` - at `$.payload`");
        # it never quotes the value, so no payload reaches the client or a log from here.
        raise RestError(400, "bad_request", f"invalid field: {str(exc).lower()}") from None
    except msgspec.DecodeError:
        raise _not_json() from None


async def read_json_value(request: web.Request) -> object:
    """Read a JSON body as any JSON value, for a parser of its own (as :func:`read_json`)."""
    body = await _json_body(request)
    try:
        value: object = msgspec.json.decode(body)
    except msgspec.DecodeError:
        raise _not_json() from None
    return value


async def _json_body(request: web.Request) -> bytes:
    charset = request.charset
    if request.content_type != "application/json" or charset not in (None, "utf-8", "utf8"):
        raise RestError(415, "unsupported_media_type", "send the body as application/json (utf-8)")
    return await request.read()


def _not_json() -> RestError:
    return RestError(400, "bad_request", "the body is not valid json")


def new_request_id() -> str:
    """A fresh ``request_id`` for a response (spec §7.2)."""
    return uuid.uuid4().hex


def success(**fields: object) -> web.Response:
    """A 200 answer ``{"result": "success", **fields}``."""
    return web.json_response({"result": "success", **fields})
