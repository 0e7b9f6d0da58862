"""Keep a CPU out of idle: a busy loop at SCHED_IDLE priority, pinned by the caller.

On a virtual machine a vCPU with nothing to run halts, and waking it (for the next packet over
loopback) costs tens of microseconds. In a ping-pong between the server's core and the load
generator's, those wake-ups, not the code under test, then set the pace, and runs flip between a
fast mode where both cores stay busy and a slow one where both keep halting. This loop runs only
when nothing else on its core wants to (SCHED_IDLE), so the server and the load generator keep
their core, and its CPU time is its own: the per-process CPU numbers are unaffected. It runs
niced too, so that the machine's "nice" CPU time is this loop's and the harness can tell other
activity on the machine apart (bench/common.py, busy_cpu_seconds). It is the same idea as
booting with ``idle=poll``.

Usage: ``python -m bench.spin SECONDS``; it also stops as soon as its parent is gone.
"""

from __future__ import annotations

import os
import sys
import time


def spin(seconds: float) -> None:
    os.nice(19)
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    parent = os.getppid()
    end = time.monotonic() + seconds
    while time.monotonic() < end and os.getppid() == parent:
        for _ in range(50_000):
            pass


if __name__ == "__main__":
    spin(float(sys.argv[1]))
