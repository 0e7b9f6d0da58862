"""The shared timer facility (design §6: one for all deadlines)."""

from __future__ import annotations

import asyncio

import pytest

from openrtm.server.timers import TimerQueue, Timers
from tests.conftest import unit


def test_queue_pops_due_timers_in_deadline_order() -> None:
    queue = TimerQueue(resolution=0.1)
    fired: list[str] = []
    queue.push(0.35, lambda: fired.append("c"))
    queue.push(0.05, lambda: fired.append("a"))
    queue.push(0.2, lambda: fired.append("b"))
    assert queue.next_deadline() == pytest.approx(0.1)
    assert [t.callback() for t in queue.pop_due(0.1)] == [None]
    assert fired == ["a"]
    for timer in queue.pop_due(1.0):
        timer.callback()
    assert fired == ["a", "b", "c"]
    assert queue.next_deadline() is None


def test_deadlines_round_up_so_timers_never_fire_early() -> None:
    queue = TimerQueue(resolution=0.5)
    timer = queue.push(1.01, lambda: None)
    assert timer.deadline == pytest.approx(1.5)
    assert queue.pop_due(1.49) == []
    assert queue.pop_due(1.5) == [timer]


def test_cancelled_timers_are_skipped_and_dropped() -> None:
    queue = TimerQueue(resolution=0.1)
    first = queue.push(0.1, lambda: None)
    second = queue.push(0.2, lambda: None)
    first.cancel()
    first.cancel()  # idempotent
    assert queue.next_deadline() == pytest.approx(0.2)
    assert queue.pop_due(10) == [second]
    assert len(queue) == 0


def test_resolution_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TimerQueue(0)


async def test_timers_fire_on_the_loop_with_one_armed_handle() -> None:
    timers = Timers(asyncio.get_running_loop(), resolution=0.01)
    fired: list[int] = []
    done = asyncio.Event()
    for i in range(100):
        timers.call_later(unit(0.05) + i * 0.001, lambda i=i: fired.append(i))
    timers.call_later(unit(0.2), done.set)
    cancelled = timers.call_later(unit(0.1), lambda: fired.append(-1))
    cancelled.cancel()
    await asyncio.wait_for(done.wait(), unit(5))
    assert fired == list(range(100))
    timers.close()


async def test_an_earlier_timer_rearms_and_a_failing_callback_does_not_stop_others() -> None:
    timers = Timers(asyncio.get_running_loop(), resolution=0.01)
    order: list[str] = []
    done = asyncio.Event()
    timers.call_later(unit(0.3), lambda: (order.append("late"), done.set()))

    def boom() -> None:
        order.append("boom")
        raise RuntimeError("callback failure")

    timers.call_later(unit(0.05), boom)
    timers.call_later(unit(0.1), lambda: order.append("early"))
    await asyncio.wait_for(done.wait(), unit(5))
    assert order == ["boom", "early", "late"]
    timers.close()
