"""The load generator: one process, one event loop (uvloop), one workload against one server.

The orchestrator (``bench/run.py``) starts it pinned to its own core and reads the last line of
its output, ``RESULT {json}``. It can also be run by hand against a server started by hand::

    python -m bench.loadgen --system openrtm --workload fanout --port 8765 --server-pid PID

Tokens for the ``conns`` workload are built here, before anything is timed.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import traceback
from typing import Any

import uvloop

from bench.clients import PROTOCOLS, OpenRtm
from bench.workloads import WORKLOADS, Options

# The App used when the server checks tokens (the conns workload against openrtm).
APP_CERTIFICATE = "5cfd2fd1755d40ecb72977518be15d3b"


def build_tokens(count: int, warm: int) -> list[str]:
    """Login tokens for uids c0 … c{count-1}, then w0 … w{warm-1} (the warm-up connections)."""
    from openrtm.protocol.tokens import build_token_007

    now = int(time.time())
    uids = [f"c{i}" for i in range(count)] + [f"w{i}" for i in range(warm)]
    return [
        build_token_007(OpenRtm.APP_ID, APP_CERTIFICATE, uid, 3600, issue_ts=now) for uid in uids
    ]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="openrtm benchmark load generator")
    p.add_argument("--system", choices=sorted(PROTOCOLS), required=True)
    p.add_argument("--workload", choices=sorted(WORKLOADS), required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True, help="for CPU time and RSS")
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before measuring")
    p.add_argument("--members", type=int, default=1000, help="fanout: receiving members")
    p.add_argument("--window", type=int, default=0, help="fanout: messages in flight")
    p.add_argument("--pairs", type=int, default=100, help="p2p: sender/receiver pairs")
    p.add_argument("--conns", type=int, default=10_000, help="conns: idle connections")
    p.add_argument("--concurrency", type=int, default=50, help="connection setups in flight")
    p.add_argument("--tokens", action="store_true", help="conns: log in with 007 tokens")
    return p.parse_args(argv)


async def run(args: argparse.Namespace) -> dict[str, Any]:
    tokens = None
    if args.tokens:
        t0 = time.perf_counter()
        tokens = build_tokens(args.conns, min(100, args.conns))
        print(f"built {len(tokens)} tokens in {time.perf_counter() - t0:.2f} s", file=sys.stderr)
    opts = Options(
        server_pid=args.server_pid,
        duration=args.duration,
        warmup=args.warmup,
        members=args.members,
        window=args.window,
        pairs=args.pairs,
        conns=args.conns,
        concurrency=args.concurrency,
        tokens=tokens,
    )
    proto = PROTOCOLS[args.system](args.port)
    return await WORKLOADS[args.workload](proto, opts)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # A short-lived process: the cyclic collector would only walk the ever-growing heap of
    # connection objects (13% of the load generator's CPU while opening 10,000 connections).
    gc.disable()
    try:
        result = uvloop.run(run(args))
        result["ok"] = True
    except Exception as exc:
        traceback.print_exc()
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    print("RESULT " + json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
