"""A Node-style event emitter, as the Web SDK's objects are (spec §1.2 ``on/once/off``).

Callbacks may be functions or coroutine functions; a coroutine callback runs as a task. An
exception in an app's callback is logged and never breaks the SDK.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Callable
from typing import Any

__all__ = ["EventEmitter"]

log = logging.getLogger("openrtm.client")

Callback = Callable[..., Any]


class EventEmitter:
    """``on``, ``once``, ``off`` and ``emit`` over named events."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[tuple[Callback, bool]]] = {}
        self._callback_tasks: set[asyncio.Task[Any]] = set()

    def on(self, event: str, callback: Callback) -> EventEmitter:
        """Call ``callback`` every time ``event`` is emitted."""
        self._listeners.setdefault(event, []).append((callback, False))
        return self

    def once(self, event: str, callback: Callback) -> EventEmitter:
        """Call ``callback`` the next time ``event`` is emitted, then forget it."""
        self._listeners.setdefault(event, []).append((callback, True))
        return self

    def off(self, event: str, callback: Callback) -> EventEmitter:
        """Stop calling ``callback`` for ``event`` (the most recently added registration)."""
        listeners = self._listeners.get(event, [])
        for i in range(len(listeners) - 1, -1, -1):
            if listeners[i][0] == callback:
                del listeners[i]
                break
        return self

    def remove_all_listeners(self, event: str | None = None) -> EventEmitter:
        """Forget every callback of ``event``, or of every event."""
        if event is None:
            self._listeners.clear()
        else:
            self._listeners.pop(event, None)
        return self

    def listener_count(self, event: str) -> int:
        """How many callbacks ``event`` has."""
        return len(self._listeners.get(event, ()))

    def emit(self, event: str, *args: Any) -> bool:
        """Call the callbacks of ``event`` with ``args``; return whether there were any."""
        listeners = self._listeners.get(event)
        if not listeners:
            return False
        self._listeners[event] = [entry for entry in listeners if not entry[1]]
        for callback, _ in listeners:
            try:
                result = callback(*args)
                if inspect.isawaitable(result):
                    task = asyncio.ensure_future(result)
                    self._callback_tasks.add(task)
                    task.add_done_callback(self._callback_done)
            except Exception:
                log.exception("%s callback raised", event)
        return True

    def _callback_done(self, task: asyncio.Task[Any]) -> None:
        self._callback_tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("event callback raised", exc_info=task.exception())
