"""The pure-Python cost of one p2p round trip through the server, with no sockets.

Two logged-in sessions on one :class:`~openrtm.server.node.Node`, each on a transport that
only counts writes: the sender's ``peer_msg`` frame and the receiver's ``ack`` go through
``Session.on_frame`` exactly as the gateway hands them over (decode, validation, the message
budget, routing, the receipt, two encodes). What the gateway, picows and the kernel add is not
here; ``python -m bench --workloads p2p`` measures the whole. docs/benchmarks.md quotes this
number before and after each change to the hot path.

Usage::

    python -m bench.hotpath                # µs per round trip, best of 5 rounds
    python -m bench.hotpath --profile      # and cProfile's top functions
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from pathlib import Path

from openrtm.server.config import ServerConfig
from openrtm.server.node import Node
from openrtm.server.session import Session

try:
    import uvloop
except ImportError:  # the server runs on uvloop where it can; so does this
    uvloop = None  # type: ignore[assignment]

APP_ID = "0123456789abcdef0123456789abcdef"
_TEXT = b"@@" + b"0" * 19 + b"." * 43  # the harness's 64-byte payload


class CountingTransport:
    """A Session's transport that counts what is written and drops it."""

    def __init__(self) -> None:
        self.writes = 0
        self.session: Session | None = None

    def write(self, data: bytes) -> None:
        self.writes += 1

    def close(self, code: int, reason: str) -> None:
        self.abort()

    def ping(self) -> None:
        pass

    def abort(self) -> None:
        # Like a real link, the end of the connection follows shortly (Node.stop waits for it).
        if self.session is not None:
            asyncio.get_running_loop().call_soon(self.session.on_disconnect)
            self.session = None

    def attach(self, session: Session) -> None:
        self.session = session


def _frames(first: int, count: int) -> list[tuple[bytes, bytes]]:
    """(peer_msg, ack) pairs for request ids and delivery numbers first … first+count-1."""
    return [
        (
            b'{"op":"peer_msg","id":%d,"to":"r0","mid":"s0-%d","msg":{"text":"%s"}}'
            % (i, i, _TEXT),
            b'{"op":"ack","d":%d}' % i,
        )
        for i in range(first, first + count)
    ]


async def _login(node: Node, uid: str) -> Session:
    transport = CountingTransport()
    session = transport.session = node.connect(transport)
    frame = b'{"op":"login","id":1,"v":1,"app_id":"%s","uid":"%s"}' % (
        APP_ID.encode(),
        uid.encode(),
    )
    session.on_frame(frame)
    for _ in range(100):
        if session.logged_in:
            return session
        await asyncio.sleep(0.01)
    raise RuntimeError(f"{uid} did not log in")


async def run(trips: int, rounds: int, profile: bool) -> None:
    with tempfile.TemporaryDirectory() as data:
        config = ServerConfig(
            data_dir=Path(data), message_rate_calls=1_000_000_000, message_rate_window=1.0
        )
        node = Node(config)
        await node.start()
        try:
            sender, receiver = await _login(node, "s0"), await _login(node, "r0")
            next_id = 1

            def batch(count: int) -> list[tuple[bytes, bytes]]:
                nonlocal next_id
                frames = _frames(next_id, count)
                next_id += count
                return frames

            def drive(frames: list[tuple[bytes, bytes]]) -> float:
                send, ack = sender.on_frame, receiver.on_frame
                started = time.perf_counter()
                for message, receipt in frames:
                    send(message)
                    ack(receipt)
                return time.perf_counter() - started

            drive(batch(trips // 5))  # warm-up
            best = min(drive(batch(trips)) for _ in range(rounds))
            print(f"{best / trips * 1e6:.2f} µs per round trip (best of {rounds} × {trips:,})")
            if profile:
                profiler = cProfile.Profile()
                frames = batch(trips)
                profiler.enable()
                drive(frames)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(25)
        finally:
            await node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=100_000, help="round trips per round")
    parser.add_argument("--rounds", type=int, default=5, help="rounds; the best one counts")
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top 25")
    args = parser.parse_args()
    coro = run(args.trips, args.rounds, args.profile)
    if uvloop is not None:
        uvloop.run(coro)
    else:
        asyncio.run(coro)


if __name__ == "__main__":
    main()
