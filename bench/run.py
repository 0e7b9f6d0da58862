"""The benchmark harness's entry point: ``python -m bench`` (see ``--help``).

For every run, workload and system it starts the server pinned to CPU 0, runs the load
generator (``bench/loadgen.py``) pinned to CPU 1, and stops the server by its PID. Systems are
interleaved within each run so that drift affects them alike. Raw results go to
``bench/results/``; a full run (every system and workload, ≥ 3 runs) also rewrites
``docs/benchmarks.md`` and ``docs/benchmarks.png`` (``--docs`` forces it, ``--no-docs``
prevents it).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import report
from bench.systems import SYSTEMS, start_server, taskset_prefix

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"

# name → (loadgen workload, extra loadgen arguments)
WORKLOADS: dict[str, tuple[str, list[str]]] = {
    "fanout100": ("fanout", ["--members", "100"]),
    "fanout1000": ("fanout", ["--members", "1000"]),
    "p2p": ("p2p", ["--pairs", "100"]),
    "conns": ("conns", []),
}

SERVER_CPU, LOADGEN_CPU = 0, 1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark openrtm against a bare picows relay and python-socketio.",
    )
    p.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated: %(default)s")
    p.add_argument("--workloads", default=",".join(WORKLOADS), help="comma-separated: %(default)s")
    p.add_argument("--runs", type=int, default=3, help="runs per system and workload")
    p.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    p.add_argument("--warmup", type=float, default=1.0, help="seconds of load before measuring")
    p.add_argument("--conns", type=int, default=10_000, help="connections in the conns workload")
    p.add_argument("--window", type=int, default=0, help="fanout messages in flight (0: auto)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 1 run of 2 s, 2,000 connections; never writes docs/",
    )
    docs = p.add_mutually_exclusive_group()
    docs.add_argument("--docs", action="store_true", help="write docs/benchmarks.md and .png")
    docs.add_argument("--no-docs", action="store_true", help="do not write docs/")
    p.add_argument("--note", default="", help="a note for the History row in the docs")
    args = p.parse_args(argv)
    if args.quick:
        args.runs, args.duration, args.warmup, args.conns = 1, 2.0, 0.5, min(args.conns, 2000)
    args.systems = _split(args.systems, SYSTEMS, p)
    args.workloads = _split(args.workloads, tuple(WORKLOADS), p)
    return args


def _split(value: str, known: tuple[str, ...], p: argparse.ArgumentParser) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in known]
    if unknown or not items:
        p.error(f"unknown {unknown or 'empty list'}; choose from {', '.join(known)}")
    return items


def run_one(system: str, workload: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    """Start the server, run one load-generator process against it, stop the server."""
    kind, extra = WORKLOADS[workload]
    tokens = kind == "conns" and system == "openrtm"  # logins with token verification
    server = start_server(system, workdir, cpu=SERVER_CPU, tokens=tokens)
    try:
        cmd = [*taskset_prefix(LOADGEN_CPU), sys.executable, "-m", "bench.loadgen"]
        cmd += ["--system", system, "--workload", kind, "--port", str(server.port)]
        cmd += ["--server-pid", str(server.pid), "--duration", str(args.duration)]
        cmd += ["--warmup", str(args.warmup), "--conns", str(args.conns)]
        cmd += ["--window", str(args.window), *extra]
        if tokens:
            cmd.append("--tokens")
        budget = 120 + args.warmup + args.duration + args.conns / 100
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=budget, cwd=REPO, check=False
            )
            lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
            result = json.loads(lines[-1][7:]) if lines else {"ok": False, "error": "no result"}
            if not result.get("ok"):
                result["stderr"] = done.stderr[-2000:]
        except subprocess.TimeoutExpired:
            result = {"ok": False, "error": f"load generator timed out after {budget:.0f} s"}
        if server.proc.poll() is not None:
            result.update(ok=False, error=f"server exited with {server.proc.returncode}")
        if not result.get("ok"):
            result["server_log"] = server.log_tail()
        return result
    finally:
        server.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    meta = report.conditions(args, pinned=bool(taskset_prefix(0)))
    results: list[dict[str, Any]] = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="openrtm-bench-") as tmp:
        for run in range(1, args.runs + 1):
            for workload in args.workloads:
                for system in args.systems:
                    t0 = time.perf_counter()
                    workdir = Path(tmp) / f"{run}-{workload}-{system}"
                    result = run_one(system, workload, args, workdir)
                    result.update(system=system, workload=workload, run=run)
                    results.append(result)
                    print(
                        report.one_line(result) + f"  [{time.perf_counter() - t0:.0f} s]",
                        flush=True,
                    )
    data = {"meta": meta, "started": started.isoformat(timespec="seconds"), "results": results}
    stamp = started.strftime("%Y%m%dT%H%M%SZ")
    for path in (RESULTS / f"{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(data, indent=1))
    print(f"\nraw results: {RESULTS / f'{stamp}.json'}\n")
    print(report.summary_table(data))
    full = set(args.systems) == set(SYSTEMS) and set(args.workloads) == set(WORKLOADS)
    if args.docs or (full and args.runs >= 3 and not args.quick and not args.no_docs):
        report.write_docs(data, note=args.note)
        print("\nwrote docs/benchmarks.md and docs/benchmarks.png")
    failed = [r for r in results if not r.get("ok")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
