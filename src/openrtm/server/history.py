"""The message-history engine of the REST history API (spec §6.3, §7.4), below HTTP.

The REST layer turns requests into calls here and the results into responses:

- ``POST .../rtm/message/history/query``: :func:`parse_history_query` validates the body, then
  :meth:`HistoryQueries.create` starts the query and returns its handle;
- ``GET .../rtm/message/history/query/{handle}``: :meth:`HistoryQueries.poll` says
  ``"in progress"`` until the page is ready, then ``"ok"`` with the messages;
- ``GET .../rtm/message/history/count?...``: :func:`parse_count_query` validates the query
  string, then :meth:`HistoryQueries.count` counts.

A handle is unguessable (:mod:`secrets`), belongs to the App that created it and lives
``handle_ttl`` seconds; each App holds at most ``max_handles_per_app`` of them at once, so one
client cannot fill the server's memory with results. Every call counts against the App's
budget of spec §5.4 (10 a second).

Errors, and the HTTP status the REST layer answers them with::

    HistoryError
     ├── HistoryQueryError    the body or the query string is malformed          400
     ├── HandleGone           an unknown, expired or another App's handle        410
     ├── TooManyHandles       the App already holds max_handles_per_app handles  429
     └── HistoryTooOften      over the App's call budget (spec §5.4)             429

A failure of the store itself is a :class:`~openrtm.store.base.StoreError`, as everywhere.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Literal, TypedDict, TypeGuard

import msgspec

from openrtm.protocol.limits import CallWindows, RateLimit, is_valid_user_id
from openrtm.store.base import HistoryOrder, HistoryRecord, Store, StoreError

__all__ = [
    "DEFAULT_LIMIT",
    "DEFAULT_ORDER",
    "HISTORY_RATE",
    "IN_PROGRESS",
    "MAX_OFFSET",
    "OK",
    "PAGE_SIZES",
    "HandleGone",
    "HistoryError",
    "HistoryFilter",
    "HistoryMessage",
    "HistoryPoll",
    "HistoryQueries",
    "HistoryQuery",
    "HistoryQueryError",
    "HistoryTooOften",
    "PollStatus",
    "TooManyHandles",
    "parse_count_query",
    "parse_history_query",
]

log = logging.getLogger("openrtm.history")

PAGE_SIZES: Final = (20, 50, 100)
"""Spec §5.5, §7.4: the page sizes a query may ask for."""

DEFAULT_LIMIT: Final = 20
"""The page size of a query that gives none: the smallest of :data:`PAGE_SIZES`."""

DEFAULT_ORDER: Final[HistoryOrder] = "desc"
"""Spec §7.4: ``order`` defaults to ``desc``, newest first."""

MAX_OFFSET: Final = 2**63 - 1
"""The largest ``offset``: what the store can hold (a 64-bit signed integer)."""

HISTORY_RATE: Final = RateLimit(10, 1.0)
"""Spec §5.4: 10 history API calls a second per App ID."""

IN_PROGRESS: Final = "in progress"
OK: Final = "ok"
PollStatus = Literal["in progress", "ok"]
"""Spec §7.4: the ``code`` of a poll."""

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
# RFC 3339, the profile of ISO 8601 that every JSON encoder writes: a full date and time,
# optional fraction (up to nanoseconds), and an explicit offset ("Z" or ±HH:MM). A time with
# no offset is refused: it would be read in the server's zone or in UTC, and either guess
# can silently return the wrong messages.
_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)
_TIME_RULE = "a UTC ISO-8601 time such as 2019-08-01T01:22:10Z"


class HistoryError(Exception):
    """A history API call was refused; the subclass says why (see the module docstring).

    Attributes:
        detail: what went wrong, lower-case, for people; safe to send to the client.
    """

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def __str__(self) -> str:
        return self.detail


class HistoryQueryError(HistoryError):
    """The body or query string is malformed; ``detail`` names the field (REST 400)."""


class HandleGone(HistoryError):
    """The handle is unknown, expired, or another App's (REST 410: re-create the query)."""


class TooManyHandles(HistoryError):
    """The App already holds as many live handles as allowed (REST 429).

    Attributes:
        retry_after: seconds until the App's oldest handle expires and frees a place.
    """

    def __init__(self, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class HistoryTooOften(HistoryError):
    """The App is over its history call budget of spec §5.4 (REST 429)."""


@dataclass(frozen=True, slots=True)
class HistoryFilter:
    """Which archived messages a query or a count is about (spec §7.4).

    Attributes:
        source: the sender's user id; None for any sender.
        destination: the receiver's user id or the channel id; None for any. Never both None.
        start_ms: the window's start, inclusive, in ms since the epoch.
        end_ms: the window's end, exclusive; never before ``start_ms``.
    """

    source: str | None
    destination: str | None
    start_ms: int
    end_ms: int


@dataclass(frozen=True, slots=True)
class HistoryQuery:
    """A validated ``POST .../rtm/message/history/query`` body (spec §7.4).

    Attributes:
        filter: the messages asked about.
        offset: how many matches to skip.
        limit: the page size, one of :data:`PAGE_SIZES`.
        order: ``"asc"`` oldest first, or ``"desc"`` newest first.
    """

    filter: HistoryFilter
    offset: int = 0
    limit: int = DEFAULT_LIMIT
    order: HistoryOrder = DEFAULT_ORDER


class HistoryMessage(TypedDict):
    """One message of a result, in the shape of spec §7.4 (``ts`` in ms since the epoch)."""

    src: str
    dst: str
    payload: str
    ts: int


@dataclass(frozen=True, slots=True)
class HistoryPoll:
    """The state of a query (spec §7.4 ``GET .../query/{handle}``).

    Attributes:
        status: ``"in progress"`` (poll again later) or ``"ok"``; the response's ``code``.
        messages: the page, in the query's order; empty while in progress.
    """

    status: PollStatus
    messages: list[HistoryMessage]


# --- parsing ---------------------------------------------------------------------------------


def parse_history_query(body: object) -> HistoryQuery:
    """Validate a decoded ``POST .../rtm/message/history/query`` body (spec §7.4).

    ``{"filter": {"source", "destination", "start_time", "end_time"}, "offset", "limit",
    "order"}``. Unknown keys are ignored (clients in the field send extra ones, such as Flat's
    ``offSet``); a null is the same as an absent key.

    Args:
        body: any decoded JSON value.

    Raises:
        HistoryQueryError: for anything but a valid body; never another exception.
    """
    if not isinstance(body, dict):
        raise HistoryQueryError("the body must be a json object")
    raw_filter = body.get("filter")
    if raw_filter is None:
        raise HistoryQueryError("filter is required")
    if not isinstance(raw_filter, dict):
        raise HistoryQueryError("filter must be an object")
    history_filter = _parse_filter(raw_filter, "filter.")

    offset = body.get("offset")
    if offset is None:
        offset = 0
    elif not _is_int(offset) or not 0 <= offset <= MAX_OFFSET:
        raise HistoryQueryError(f"offset must be an integer from 0 to {MAX_OFFSET}")

    limit = body.get("limit")
    if limit is None:
        limit = DEFAULT_LIMIT
    elif not _is_int(limit) or limit not in PAGE_SIZES:
        raise HistoryQueryError("limit must be 20, 50 or 100")

    raw_order = body.get("order")
    order: HistoryOrder
    if raw_order is None or raw_order == "desc":
        order = "desc"
    elif raw_order == "asc":
        order = "asc"
    else:
        raise HistoryQueryError("order must be 'asc' or 'desc'")
    return HistoryQuery(history_filter, offset, limit, order)


def parse_count_query(params: Mapping[str, str]) -> HistoryFilter:
    """Validate the query string of ``GET .../rtm/message/history/count`` (spec §7.4).

    ``source``, ``destination``, ``start_time`` and ``end_time``, with the body's rules; an
    empty ``source`` or ``destination`` is the same as an absent one (a query string has no
    null). Other parameters are ignored.

    Raises:
        HistoryQueryError: for anything but a valid query; never another exception.
    """
    values: dict[str, object] = {}
    for name in ("source", "destination", "start_time", "end_time"):
        value = params.get(name)
        values[name] = None if value == "" and name in ("source", "destination") else value
    return _parse_filter(values, "")


def _parse_filter(raw: Mapping[str, object], prefix: str) -> HistoryFilter:
    source = _optional_id(raw.get("source"), f"{prefix}source must be a user id (spec §5.1)")
    # Spec §5.1: a channel id follows the user id's rule.
    destination = _optional_id(
        raw.get("destination"), f"{prefix}destination must be a user or channel id (spec §5.1)"
    )
    if source is None and destination is None:
        raise HistoryQueryError(f"{prefix}source and {prefix}destination cannot both be null")
    start_ms = _parse_time(raw.get("start_time"), f"{prefix}start_time")
    end_ms = _parse_time(raw.get("end_time"), f"{prefix}end_time")
    if end_ms < start_ms:
        raise HistoryQueryError(f"{prefix}end_time is before {prefix}start_time")
    return HistoryFilter(source, destination, start_ms, end_ms)


def _optional_id(value: object, rule: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str) and is_valid_user_id(value):
        return value
    raise HistoryQueryError(f"{rule} or null")


def _parse_time(value: object, name: str) -> int:
    """Return an RFC 3339 time as ms since the epoch, rounded up (see below)."""
    if value is None:
        raise HistoryQueryError(f"{name} is required")
    if not isinstance(value, str):
        raise HistoryQueryError(f"{name} must be {_TIME_RULE}")
    match = _TIME.fullmatch(value)
    if match is None:
        raise HistoryQueryError(f"{name} must be {_TIME_RULE}")
    date, clock, fraction, offset = match.groups()
    if offset in ("Z", "z"):
        offset = "+00:00"
    try:
        moment = datetime.fromisoformat(f"{date}T{clock}{offset}")
        ns = (moment - _EPOCH) // _ONE_US * 1000 + int((fraction or "").ljust(9, "0"))
    except (ValueError, OverflowError):
        # A month 13, a second 60, an offset of 24 hours or more, ...
        raise HistoryQueryError(f"{name} must be {_TIME_RULE}") from None
    # Rounded up to the ms: the store keeps ms, and a message at ts ms is at or after a start
    # (before an end) of t ns exactly when ts >= ceil(t / 1e6); [start, end) stays exact.
    return -(-ns // 1_000_000)


def _is_int(value: object) -> TypeGuard[int]:
    # JSON true and false are not numbers, though Python's bool is an int.
    return isinstance(value, int) and not isinstance(value, bool)


# --- the engine ------------------------------------------------------------------------------


@dataclass(slots=True, eq=False)
class _Handle:
    app_id: str
    expires: float
    task: asyncio.Task[None] | None = None
    messages: list[HistoryMessage] | None = None
    error: BaseException | None = None
    done: bool = False


class HistoryQueries:
    """The history queries of every App on this node: handles, results and counts.

    Args:
        store: the archive.
        handle_ttl: seconds a handle (and its result) lives after it is created.
        max_handles_per_app: live handles one App may hold; more are refused.
        rate: the call budget of each App, shared by create, poll and count (spec §5.4).
        clock: monotonic seconds; a test may pass its own.
        shared: the nodes of a cluster share the handles, results and budgets through the
            store (issue #15), so that a poll works on any node: :meth:`open_query`,
            :meth:`read_query` and :meth:`count` then use the store. Otherwise they live in
            this object's memory.
    """

    def __init__(
        self,
        store: Store,
        *,
        handle_ttl: float = 300.0,
        max_handles_per_app: int = 64,
        rate: RateLimit = HISTORY_RATE,
        clock: Callable[[], float] = time.monotonic,
        shared: bool = False,
    ) -> None:
        self._store = store
        self._shared = shared
        self._shared_runs: set[asyncio.Task[None]] = set()
        self._ttl = handle_ttl
        self._max_handles = max_handles_per_app
        self._rate = rate
        self._clock = clock
        # In creation order, so also in expiry order (one TTL for all): the expired ones are
        # always at the front.
        self._handles: dict[str, _Handle] = {}
        self._per_app: dict[str, int] = {}
        self._budgets = CallWindows(prune_above=1024)
        self._timer: asyncio.TimerHandle | None = None

    def create(self, app_id: str, query: HistoryQuery) -> str:
        """Start ``query`` over the App's archive in the background; return its handle.

        Raises:
            HistoryTooOften: the App is over its call budget.
            TooManyHandles: the App already holds ``max_handles_per_app`` live handles.
        """
        now = self._allow(app_id)
        if self._per_app.get(app_id, 0) >= self._max_handles:
            oldest = next(h for h in self._handles.values() if h.app_id == app_id)
            raise TooManyHandles(
                "too many live history queries for this app; poll or let them expire",
                retry_after=max(0.0, oldest.expires - now),
            )
        handle = secrets.token_urlsafe(24)
        entry = _Handle(app_id, now + self._ttl)
        self._handles[handle] = entry
        self._per_app[app_id] = self._per_app.get(app_id, 0) + 1
        entry.task = asyncio.get_running_loop().create_task(self._run(entry, app_id, query))
        if self._timer is None:
            self._arm()
        return handle

    def poll(self, app_id: str, handle: str) -> HistoryPoll:
        """Return the state of the query of ``handle``: in progress, or ok with its page.

        Raises:
            HistoryTooOften: the App is over its call budget.
            HandleGone: the handle is unknown, expired or another App's.
            StoreError: the store failed to run the query.
        """
        self._allow(app_id)
        entry = self._handles.get(handle)
        if entry is None or entry.app_id != app_id:
            raise HandleGone("unknown or expired history query handle")
        if not entry.done:
            return HistoryPoll(IN_PROGRESS, [])
        if entry.error is not None:
            raise StoreError("the history query failed") from entry.error
        assert entry.messages is not None
        return HistoryPoll(OK, entry.messages)

    async def open_query(self, app_id: str, query: HistoryQuery) -> str:
        """:meth:`create`, on any node of a cluster (the handle is in the store).

        Raises:
            HistoryTooOften: the App is over its call budget.
            TooManyHandles: the App already holds ``max_handles_per_app`` live handles.
            StoreError: the store failed.
        """
        if not self._shared:
            return self.create(app_id, query)
        await self._allow_shared(app_id)
        handle = secrets.token_urlsafe(24)
        retry_ms = await self._store.query_handle_create(
            app_id, handle, int(self._ttl * 1000), self._max_handles
        )
        if retry_ms is not None:
            raise TooManyHandles(
                "too many live history queries for this app; poll or let them expire",
                retry_after=retry_ms / 1000,
            )
        task = asyncio.get_running_loop().create_task(self._run_shared(app_id, handle, query))
        self._shared_runs.add(task)
        task.add_done_callback(self._shared_runs.discard)
        return handle

    async def read_query(self, app_id: str, handle: str) -> HistoryPoll:
        """:meth:`poll`, on any node of a cluster (the result is in the store).

        Raises:
            HistoryTooOften: the App is over its call budget.
            HandleGone: the handle is unknown, expired or another App's.
            StoreError: the store failed, or failed to run the query.
        """
        if not self._shared:
            return self.poll(app_id, handle)
        await self._allow_shared(app_id)
        raw = await self._store.query_handle_get(app_id, handle)
        if raw is None:
            raise HandleGone("unknown or expired history query handle")
        if not raw:
            return HistoryPoll(IN_PROGRESS, [])
        status, messages = _decode_outcome(raw)
        if status != OK:
            raise StoreError("the history query failed")
        return HistoryPoll(OK, messages)

    async def count(self, app_id: str, history_filter: HistoryFilter) -> int:
        """Count the App's archived messages that match ``history_filter``.

        Raises:
            HistoryTooOften: the App is over its call budget.
            StoreError: the store failed.
        """
        if self._shared:
            await self._allow_shared(app_id)
        else:
            self._allow(app_id)
        f = history_filter
        return await self._store.history_count(
            app_id,
            source=f.source,
            destination=f.destination,
            start_ms=f.start_ms,
            end_ms=f.end_ms,
        )

    def live_handles(self, app_id: str) -> int:
        """How many unexpired handles the App holds."""
        self._expire()
        return self._per_app.get(app_id, 0)

    async def close(self) -> None:
        """Cancel the queries still running and forget every handle; call before the store
        closes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        tasks = [h.task for h in self._handles.values() if h.task is not None and not h.done]
        tasks.extend(self._shared_runs)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._handles.clear()
        self._per_app.clear()

    # --- internals -----------------------------------------------------------------------

    def _allow(self, app_id: str) -> float:
        now = self._clock()
        if not self._budgets.get(app_id, self._rate, now).allow(now):
            raise HistoryTooOften(
                f"more than {self._rate.calls} history calls in {self._rate.window:g} s "
                "for this app"
            )
        self._expire(now)
        return now

    async def _allow_shared(self, app_id: str) -> None:
        rate = self._rate
        calls = await self._store.count_call(app_id, "history", int(rate.window * 1000))
        if calls > rate.calls:
            raise HistoryTooOften(
                f"more than {rate.calls} history calls in {rate.window:g} s for this app"
            )

    async def _run_shared(self, app_id: str, handle: str, query: HistoryQuery) -> None:
        # Run on the node that created the handle; the outcome goes to the store, where a
        # poll on any node reads it. A node that dies meanwhile leaves the handle "in
        # progress" until it expires (docs/deployment.md, Limits).
        f = query.filter
        try:
            records = await self._store.history_query(
                app_id,
                source=f.source,
                destination=f.destination,
                start_ms=f.start_ms,
                end_ms=f.end_ms,
                order=query.order,
                offset=query.offset,
                limit=query.limit,
            )
        except Exception as exc:
            log.warning("history query failed app=%s error=%s", app_id, type(exc).__name__)
            outcome = _encode_outcome(("failed", []))
        else:
            outcome = _encode_outcome((OK, [_message(r) for r in records]))
        try:
            await self._store.query_handle_finish(app_id, handle, outcome)
        except StoreError as exc:
            log.warning("history query result not kept app=%s: %s", app_id, exc)

    async def _run(self, entry: _Handle, app_id: str, query: HistoryQuery) -> None:
        f = query.filter
        try:
            records = await self._store.history_query(
                app_id,
                source=f.source,
                destination=f.destination,
                start_ms=f.start_ms,
                end_ms=f.end_ms,
                order=query.order,
                offset=query.offset,
                limit=query.limit,
            )
        except Exception as exc:  # kept for poll() to report; the task never fails
            log.warning("history query failed app=%s error=%s", app_id, type(exc).__name__)
            entry.error = exc
        else:
            entry.messages = [_message(r) for r in records]
        entry.done = True

    def _expire(self, now: float | None = None) -> None:
        if now is None:
            now = self._clock()
        handles = self._handles
        while handles:
            handle, entry = next(iter(handles.items()))
            if entry.expires > now:
                break
            del handles[handle]
            left = self._per_app[entry.app_id] - 1
            if left:
                self._per_app[entry.app_id] = left
            else:
                del self._per_app[entry.app_id]
            if entry.task is not None and not entry.done:
                entry.task.cancel()
            # Drop the page now: a poll can no longer reach it.
            entry.messages = None

    def _arm(self) -> None:
        # One loop timer for all handles, for the oldest: results are dropped on time even
        # when no call comes to sweep them.
        self._timer = None
        if self._handles:
            oldest = next(iter(self._handles.values()))
            delay = max(0.0, oldest.expires - self._clock())
            self._timer = asyncio.get_running_loop().call_later(delay, self._on_timer)

    def _on_timer(self) -> None:
        self._expire()
        self._arm()


def _message(record: HistoryRecord) -> HistoryMessage:
    return {"src": record.src, "dst": record.dst, "payload": record.payload, "ts": record.ts}


# A shared query's outcome in the store: (status, messages), msgpack.
_encode_outcome = msgspec.msgpack.Encoder().encode
_decode_outcome = msgspec.msgpack.Decoder(tuple[str, list[HistoryMessage]]).decode
