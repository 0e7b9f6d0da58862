"""The three workloads, run inside the load-generator process against one server.

Each returns a flat dict of measurements (see :func:`measure_window`). Every loop is bounded in
count and in time; a workload that stops making progress fails instead of hanging.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from picows import WSFrame, WSTransport

from bench.clients import TEXT, Conn, Protocol, SetupError
from bench.common import (
    PAYLOAD_BYTES,
    busy_cpu_seconds,
    listen_overflows,
    make_payload,
    parse_ts,
    percentile,
    proc_cpu_seconds,
    proc_rss_bytes,
    self_cpu_seconds,
)
from bench.rawclient import RawConn, open_raw

__all__ = ["Options", "conns", "fanout", "p2p"]

ROOM = "room"
_NEVER = 1 << 62
_MAX_SAMPLES = 1_000_000
_STALL = 3.0  # seconds without progress that fail a throughput workload

T = TypeVar("T")
C = TypeVar("C", bound=Conn)


@dataclass(frozen=True, slots=True)
class Options:
    """How long and how hard to run; one set for every system of a run."""

    server_pid: int
    duration: float = 5.0  # the measured window, seconds
    warmup: float = 1.0  # seconds of load before the window opens
    members: int = 1000  # fanout: receiving members (the publisher is extra)
    window: int = 0  # fanout: messages in flight (0: chosen from members)
    pairs: int = 100  # p2p: sender/receiver pairs
    conns: int = 10_000  # conns: idle logged-in connections
    concurrency: int = 50  # connections being set up at once
    timeout: float = 10.0  # per connect / login / join
    tokens: Sequence[str] | None = None  # conns: one login token per connection, prebuilt


# --- shared plumbing -------------------------------------------------------------------------


class Window:
    """CPU and wall clocks of the server and of this process, from one point to another."""

    def __init__(self, server_pid: int) -> None:
        self._pid = server_pid
        self._t0 = time.perf_counter()
        self._server0 = proc_cpu_seconds(server_pid)
        self._self0 = self_cpu_seconds()
        self._busy0 = busy_cpu_seconds()
        self._overflows0 = listen_overflows()

    def close(self, operations: int) -> dict[str, float]:
        """Measurements for ``operations`` done since the window opened."""
        wall = time.perf_counter() - self._t0
        server = proc_cpu_seconds(self._pid) - self._server0
        own = self_cpu_seconds() - self._self0
        busy = busy_cpu_seconds() - self._busy0
        return {
            "wall_s": wall,
            "operations": operations,
            "throughput": operations / wall,
            "server_cpu_pct": 100 * server / wall,
            "server_us_per_op": 1e6 * server / operations if operations else float("nan"),
            "loadgen_cpu_pct": 100 * own / wall,
            # Anything else that ran on the machine meanwhile (another benchmark, a test
            # suite): it competes for the two cores, and makes the run suspect.
            "other_cpu_pct": max(0.0, 100 * (busy - server - own) / wall),
            "listen_overflows": listen_overflows() - self._overflows0,
        }


def latency_stats(samples_ns: list[int]) -> dict[str, float]:
    samples_ns.sort()
    return {
        "p50_us": percentile(samples_ns, 0.50) / 1000,
        "p99_us": percentile(samples_ns, 0.99) / 1000,
        "samples": len(samples_ns),
    }


async def bounded_gather(
    count: int, concurrency: int, make: Callable[[int], Awaitable[T]]
) -> list[T]:
    """Run ``make(0 … count-1)`` with at most ``concurrency`` in flight; results in order."""
    results: list[T | None] = [None] * count
    next_index = 0

    async def worker() -> None:
        nonlocal next_index
        while next_index < count:
            i = next_index
            next_index += 1
            results[i] = await make(i)

    workers = [asyncio.create_task(worker()) for _ in range(min(concurrency, count))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
    return [r for r in results if r is not None]


async def open_conn(
    proto: Protocol,
    cls: type[C],
    uid: str,
    opts: Options,
    *,
    room: str | None = None,
    token: str | None = None,
) -> C:
    """Connect, log in and (with ``room``) join; every step within ``opts.timeout``."""
    conn: C = await proto.connect(cls, uid, room, opts.timeout)
    await proto.login(conn, token, opts.timeout)
    if room is not None:
        await proto.join(conn, room, opts.timeout)
    return conn


def close_all(conns: Sequence[Conn]) -> None:
    for c in conns:
        c.disconnect()


async def run_for(seconds: float, progress: Callable[[], int], what: str) -> None:
    """Sleep ``seconds`` in short steps, failing if ``progress()`` stalls for ``_STALL`` s."""
    end = time.perf_counter() + seconds
    last, last_change = progress(), time.perf_counter()
    while (now := time.perf_counter()) < end:
        await asyncio.sleep(min(0.1, end - now))
        current = progress()
        if current != last:
            last, last_change = current, time.perf_counter()
        elif time.perf_counter() - last_change > _STALL:
            raise SetupError(f"{what}: no progress for {_STALL} s")


async def poll_until(done: Callable[[], bool], timeout: float) -> bool:
    """Wait until ``done()`` or ``timeout`` seconds; whether it got done.

    Polls on purpose: the hot-path callbacks that move the counters must not set events.
    """
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() >= deadline:
            return False
        await asyncio.sleep(0.05)
    return True


# --- fanout ----------------------------------------------------------------------------------


class FanoutState:
    """Shared by the publisher and every member: counts and the in-flight window."""

    __slots__ = (
        "delivered",
        "errors",
        "first_error",
        "latencies",
        "measuring",
        "members",
        "next_pump",
        "proto",
        "publisher",
        "running",
        "sent",
        "window",
    )

    def __init__(self, proto: Protocol, publisher: Conn, members: int, window: int) -> None:
        self.proto = proto
        self.publisher = publisher
        self.members = members
        self.window = window
        self.delivered = 0
        self.sent = 0
        self.next_pump = _NEVER
        self.running = False
        self.measuring = False
        self.latencies: list[int] = []
        self.errors = 0
        self.first_error = b""

    def pump(self) -> None:
        """Publish until ``window`` messages are in flight; called as deliveries come in.

        In flight = sent − delivered / members (an estimate over all members). The next pump
        is due when half the window has drained.
        """
        if not self.running:
            self.next_pump = _NEVER
            return
        limit = self.delivered // self.members + self.window
        send = self.publisher.send
        frame = self.proto.room_frame
        while self.sent < limit:
            self.sent += 1
            send(frame(self.sent, ROOM, make_payload()))
        self.next_pump = (self.sent - self.window // 2) * self.members


class Member(Conn):
    """A fan-out receiver: counts deliveries, nothing else."""

    __slots__ = ("state",)

    def __init__(self, proto: Protocol, uid: str) -> None:
        super().__init__(proto, uid)
        self.state: FanoutState | None = None

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        state = self.state
        if state is not None and frame.payload_size >= PAYLOAD_BYTES:
            state.delivered += 1
            if state.delivered >= state.next_pump:
                state.pump()
        else:
            self.setup_frame(transport, frame)


class SamplingMember(Member):
    """A fan-out receiver that also records the latency of every delivery it gets."""

    __slots__ = ()

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        state = self.state
        if state is not None and frame.payload_size >= PAYLOAD_BYTES:
            if state.measuring and len(state.latencies) < _MAX_SAMPLES:
                now = time.perf_counter_ns()
                state.latencies.append(now - parse_ts(frame.get_payload_as_bytes()))
            state.delivered += 1
            if state.delivered >= state.next_pump:
                state.pump()
        else:
            self.setup_frame(transport, frame)


class Publisher(Conn):
    """The fan-out sender; counts the error replies (openrtm answers every message)."""

    __slots__ = ("state",)

    def __init__(self, proto: Protocol, uid: str) -> None:
        super().__init__(proto, uid)
        self.state: FanoutState | None = None

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        state = self.state
        if state is not None:
            data = frame.get_payload_as_bytes()
            if data.startswith(b'{"t":"error"'):
                state.errors += 1
                state.first_error = state.first_error or data
                return
        self.setup_frame(transport, frame)


def default_window(members: int) -> int:
    """Messages in flight: about 8,000 deliveries' worth, at least 4 messages."""
    return max(4, 8000 // members)


async def fanout(proto: Protocol, opts: Options) -> dict[str, Any]:
    """N members in one room, one publisher of 64-byte messages with a bounded window."""
    n = opts.members
    samplers = {round(i * (n - 1) / 15) for i in range(16)} if n > 1 else {0}
    conns: list[Conn] = []
    try:
        members: list[Member] = await bounded_gather(
            n,
            opts.concurrency,
            lambda i: open_conn(
                proto, SamplingMember if i in samplers else Member, f"m{i}", opts, room=ROOM
            ),
        )
        conns.extend(members)
        publisher = await open_conn(proto, Publisher, "pub", opts)
        conns.append(publisher)
        if proto.name == "openrtm":  # only members may send to an openrtm channel
            await proto.join(publisher, ROOM, opts.timeout)
        await asyncio.sleep(0.5)  # let the join notifications drain

        window = opts.window or default_window(n)
        state = FanoutState(proto, publisher, n, window)
        publisher.state = state
        for m in members:
            m.state = state
        state.running = True
        state.pump()
        await run_for(opts.warmup, lambda: state.delivered, "fanout warm-up")
        win = Window(opts.server_pid)
        start = state.delivered
        state.measuring = True
        await run_for(opts.duration, lambda: state.delivered, "fanout")
        state.measuring = False
        result: dict[str, Any] = win.close(state.delivered - start)
        state.running = False

        # Drain: every message sent must reach every member.
        expected = state.sent * n
        await poll_until(lambda: state.delivered >= expected, 5.0)
        result.update(latency_stats(state.latencies))
        result.update(
            unit="deliveries/s",
            members=n,
            window=window,
            messages=state.sent,
            lost=expected - state.delivered,
            errors=state.errors,
            dropped=sum(m.closed for m in members),
        )
        if state.first_error:
            result["first_error"] = state.first_error[:200].decode(errors="replace")
        return result
    finally:
        close_all(conns)


# --- p2p -------------------------------------------------------------------------------------


class P2PState:
    __slots__ = ("failed", "measuring", "rtts", "running", "trips")

    def __init__(self) -> None:
        self.running = False
        self.measuring = False
        self.trips = 0
        self.failed = 0
        self.rtts: list[int] = []


class Sender(Conn):
    """Sends to its receiver, waits for the end-to-end receipt, sends again."""

    __slots__ = ("busy", "peer", "sent_at", "seq", "state")

    def __init__(self, proto: Protocol, uid: str) -> None:
        super().__init__(proto, uid)
        self.state: P2PState | None = None
        self.peer = ""
        self.seq = 0
        self.sent_at = 0
        self.busy = False

    def fire(self) -> None:
        self.seq += 1
        self.busy = True
        frame = self.proto.peer_frame(self.seq, self.uid, self.peer, make_payload())
        self.sent_at = time.perf_counter_ns()
        self.send(frame)

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        state = self.state
        if state is not None:  # (no msg_type check here: its enum conversion is costly)
            received = self.proto.receipt(frame.get_payload_as_bytes())
            if received is not None:
                rtt = time.perf_counter_ns() - self.sent_at
                self.busy = False
                state.trips += 1
                if not received:
                    state.failed += 1
                if state.measuring and len(state.rtts) < _MAX_SAMPLES:
                    state.rtts.append(rtt)
                if state.running:
                    self.fire()
                return
        self.setup_frame(transport, frame)


class Receiver(Conn):
    """Acknowledges every peer message as soon as it arrives."""

    __slots__ = ("live",)

    def __init__(self, proto: Protocol, uid: str) -> None:
        super().__init__(proto, uid)
        self.live = False

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if self.live:
            ack = self.proto.ack_for(frame.get_payload_as_bytes())
            if ack is not None:
                transport.send(TEXT, ack)
                return
        self.setup_frame(transport, frame)


async def p2p(proto: Protocol, opts: Options) -> dict[str, Any]:
    """``pairs`` senders, each waiting for its receiver's receipt before the next message."""
    conns: list[Conn] = []
    try:
        receivers: list[Receiver] = await bounded_gather(
            opts.pairs,
            opts.concurrency,
            lambda i: open_conn(proto, Receiver, f"r{i}", opts),
        )
        conns.extend(receivers)
        senders: list[Sender] = await bounded_gather(
            opts.pairs,
            opts.concurrency,
            lambda i: open_conn(proto, Sender, f"s{i}", opts),
        )
        conns.extend(senders)
        state = P2PState()
        for r in receivers:
            r.live = True
        for i, s in enumerate(senders):
            s.state = state
            s.peer = f"r{i}"
        state.running = True
        for s in senders:
            s.fire()
        await run_for(opts.warmup, lambda: state.trips, "p2p warm-up")
        win = Window(opts.server_pid)
        start, failed = state.trips, state.failed
        state.measuring = True
        await run_for(opts.duration, lambda: state.trips, "p2p")
        state.measuring = False
        result: dict[str, Any] = win.close(state.trips - start)
        failed = state.failed - failed
        state.running = False
        # Beyond openrtm's 5 s peer_ack_timeout: every sender gets an answer by then.
        await poll_until(lambda: not any(s.busy for s in senders), 7.0)
        result.update(latency_stats(state.rtts))
        result.update(
            unit="round trips/s",
            pairs=opts.pairs,
            not_received=failed,
            unanswered=sum(s.busy for s in senders),
            dropped=sum(c.closed for c in conns),
        )
        return result
    finally:
        close_all(conns)


# --- conns -----------------------------------------------------------------------------------


async def conns(proto: Protocol, opts: Options) -> dict[str, Any]:
    """``conns`` idle logged-in connections: logins/s and the server's RSS per connection.

    Uses bench/rawclient.py, whose connections cost the load generator far less than picows'.
    """
    n = opts.conns
    tokens = opts.tokens

    async def login(uid: str, token: str | None) -> RawConn:
        path, steps = proto.raw_login(uid, token)
        try:
            return await open_raw(proto.port, path, steps, opts.timeout)
        except ConnectionError as exc:
            raise SetupError(f"{uid}: {exc}") from None

    warm = min(100, n)
    held: list[RawConn] = []
    try:
        # Warm-up connections, kept open, so that one-time allocations are in the baseline.
        held.extend(
            await bounded_gather(
                warm, opts.concurrency, lambda i: login(f"w{i}", tokens[n + i] if tokens else None)
            )
        )
        await asyncio.sleep(1.0)
        rss0 = proc_rss_bytes(opts.server_pid)
        win = Window(opts.server_pid)
        logged_in = await bounded_gather(
            n, opts.concurrency, lambda i: login(f"c{i}", tokens[i] if tokens else None)
        )
        held.extend(logged_in)
        result: dict[str, Any] = win.close(len(logged_in))
        await asyncio.sleep(2.0)  # idle: what the server keeps per connection
        rss1 = proc_rss_bytes(opts.server_pid)
        result.update(
            unit="logins/s",
            conns=n,
            concurrency=opts.concurrency,
            tokens=tokens is not None,
            rss_before=rss0,
            rss_after=rss1,
            rss_per_conn=(rss1 - rss0) / n,
            dropped=sum(c.closed for c in held),
        )
        return result
    finally:
        for c in held:
            c.disconnect()


WORKLOADS: dict[str, Callable[[Protocol, Options], Awaitable[dict[str, Any]]]] = {
    "fanout": fanout,
    "p2p": p2p,
    "conns": conns,
}
