"""Helpers shared by the orchestrator, the load generator and the report.

Everything here is measurement plumbing: reading a process's CPU time and RSS from ``/proc``,
free ports on 127.0.0.1, percentiles, and the 64-byte payload that carries a send timestamp.
"""

from __future__ import annotations

import os
import socket
import time

__all__ = [
    "HOST",
    "PAYLOAD_BYTES",
    "TS_MARKER",
    "busy_cpu_seconds",
    "free_port",
    "listen_overflows",
    "make_payload",
    "parse_ts",
    "percentile",
    "proc_cpu_seconds",
    "proc_rss_bytes",
    "self_cpu_seconds",
]

# The harness only ever talks to the loopback interface.
HOST = "127.0.0.1"

# Every message payload is exactly 64 bytes of ASCII: a marker, the sender's
# time.perf_counter_ns() as 19 digits, and padding. The marker occurs nowhere else in any
# protocol's frames, so a receiver finds the timestamp with one bytes.find().
PAYLOAD_BYTES = 64
TS_MARKER = b"@@"
_TS_DIGITS = 19
_PAD = b"." * (PAYLOAD_BYTES - len(TS_MARKER) - _TS_DIGITS)

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def make_payload() -> bytes:
    """A fresh 64-byte payload stamped with the current perf_counter_ns()."""
    return b"@@%019d%s" % (time.perf_counter_ns(), _PAD)


def parse_ts(data: bytes) -> int:
    """The perf_counter_ns() stamp inside a frame that carries a payload, or -1."""
    i = data.find(TS_MARKER)
    if i < 0:
        return -1
    i += len(TS_MARKER)
    return int(data[i : i + _TS_DIGITS])


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of process ``pid`` (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = stat[stat.rindex(b")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])  # fields 14 and 15 of proc(5)
    return (utime + stime) / _CLK_TCK


def busy_cpu_seconds() -> float:
    """CPU time spent by the whole machine, all CPUs, except idle (and niced tasks)."""
    with open("/proc/stat", "rb") as f:
        fields = f.readline().split()  # "cpu user nice system idle iowait irq softirq steal"
    user, _nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[1:8])
    return (user + system + irq + softirq) / _CLK_TCK


def self_cpu_seconds() -> float:
    """This process's user + system CPU time, in seconds."""
    t = os.times()
    return t.user + t.system


def proc_rss_bytes(pid: int) -> int:
    """VmRSS of process ``pid``, in bytes."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def listen_overflows() -> int:
    """The machine's TcpExt ListenOverflows counter: SYNs dropped because an accept queue was
    full (each costs that client a 1 s retransmission)."""
    with open("/proc/net/netstat") as f:
        lines = f.read().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=False):
        if names.startswith("TcpExt:"):
            table = dict(zip(names.split()[1:], values.split()[1:], strict=True))
            return int(table.get("ListenOverflows", 0))
    return 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port: int = s.getsockname()[1]
        return port


def percentile(sorted_values: list[int], q: float) -> float:
    """The ``q`` quantile (0 … 1) of an already sorted list, nearest rank; NaN when empty."""
    if not sorted_values:
        return float("nan")
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return float(sorted_values[k])
