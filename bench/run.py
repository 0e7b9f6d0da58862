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
from bench.common import busy_cpu_seconds
from bench.systems import SYSTEMS, RunningServer, python_env, start_server, taskset_prefix

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
QUIET_PCT = 10.0  # a machine using less than this % of one core is quiet enough to measure
QUIET_WAIT = 120.0  # seconds to wait for a quiet machine before measuring anyway


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
    p.add_argument(
        "--concurrency",
        type=int,
        default=50,
        help="connection setups in flight (default %(default)s: below the servers' listen "
        "backlogs of 100 and 128; more overflows them, see listen_overflows)",
    )
    p.add_argument("--window", type=int, default=0, help="fanout messages in flight (0: auto)")
    p.add_argument(
        "--quick",
        action="store_true",
        help="a smoke test: 1 run of 2 s, 2,000 connections; writes docs/ only with --docs",
    )
    docs = p.add_mutually_exclusive_group()
    docs.add_argument("--docs", action="store_true", help="write docs/benchmarks.md and .png")
    docs.add_argument("--no-docs", action="store_true", help="do not write docs/")
    p.add_argument(
        "--rev",
        help="benchmark openrtm as of this git revision (exported from git, so the working "
        "tree's uncommitted changes are left out); default: the working tree",
    )
    p.add_argument(
        "--retries",
        type=int,
        default=2,
        help="run again when other processes used the CPUs meanwhile (default %(default)s)",
    )
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


def export_src(rev: str, into: Path) -> Path:
    """``git archive`` the ``src/`` of ``rev`` into ``into``; returns the package root."""
    into.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", rev, "src"],
        cwd=REPO,
        capture_output=True,
        check=True,
        timeout=60,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True, timeout=60)
    return into / "src"


def wait_quiet() -> float:
    """Wait (at most QUIET_WAIT s) until nothing else uses the CPUs; returns the seconds waited.

    The machine may be shared (another benchmark, a test suite): measuring then would measure
    the competition. Runs that still see other activity report it as ``other_cpu_pct``.
    """
    start = time.monotonic()
    while time.monotonic() - start < QUIET_WAIT:
        before = busy_cpu_seconds()
        time.sleep(1.0)
        if 100 * (busy_cpu_seconds() - before) < QUIET_PCT:
            break
    return time.monotonic() - start - 1.0


def run_loadgen(
    system: str,
    workload: str,
    server: RunningServer,
    options: list[str],
    timeout: float,
    src: Path | None,
) -> dict[str, Any]:
    """Run one load-generator process against ``server``; its RESULT, or why there is none.

    ``options``: the load generator's arguments beyond system, workload, port and PID.
    """
    kind, extra = WORKLOADS[workload]
    cmd = [*taskset_prefix(LOADGEN_CPU), sys.executable, "-m", "bench.loadgen"]
    cmd += ["--system", system, "--workload", kind, "--port", str(server.port)]
    cmd += ["--server-pid", str(server.pid), *options, *extra]
    try:
        done = subprocess.run(
            cmd,
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=REPO,
            env=python_env(src),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": f"load generator timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    result: dict[str, Any] = (
        json.loads(lines[-1][7:]) if lines else {"ok": False, "error": "no result"}
    )
    if not result.get("ok"):
        result["stderr"] = done.stderr[-2000:]
    return result


def run_one(
    system: str, workload: str, args: argparse.Namespace, workdir: Path, src: Path | None
) -> dict[str, Any]:
    """Start the server, run one load-generator process against it, stop the server."""
    tokens = WORKLOADS[workload][0] == "conns" and system == "openrtm"  # token verification
    server = start_server(system, workdir, cpu=SERVER_CPU, tokens=tokens, src=src)
    try:
        options = ["--duration", str(args.duration), "--warmup", str(args.warmup)]
        options += ["--conns", str(args.conns), "--window", str(args.window)]
        options += ["--concurrency", str(args.concurrency)]
        if tokens:
            options.append("--tokens")
        budget = 120 + args.warmup + args.duration + args.conns / 100
        result = run_loadgen(system, workload, server, options, budget, src)
        if server.proc.poll() is not None:
            result.update(ok=False, error=f"server exited with {server.proc.returncode}")
        if not result.get("ok"):
            result["server_log"] = server.log_tail()
        return result
    finally:
        server.stop()


def measure(
    system: str, workload: str, run: int, args: argparse.Namespace, tmp: Path, src: Path | None
) -> dict[str, Any]:
    """One run, repeated (up to ``args.retries`` times) while other processes disturb it."""
    for attempt in range(1, args.retries + 2):
        t0 = time.perf_counter()
        waited = wait_quiet()
        if waited > 1:
            print(f"(waited {waited:.0f} s for other CPU activity to stop)", flush=True)
        workdir = tmp / f"{run}-{workload}-{system}-{attempt}"
        result = run_one(system, workload, args, workdir, src)
        result.update(system=system, workload=workload, run=run, attempts=attempt)
        took = time.perf_counter() - t0
        print(f"{report.one_line(result)}  [{took:.0f} s]", flush=True)
        if not report.disturbed(result):
            break
    return result


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = dt.datetime.now(dt.UTC)
    meta = report.conditions(args, pinned=bool(taskset_prefix(0)), rev=args.rev)
    results: list[dict[str, Any]] = []
    RESULTS.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="openrtm-bench-") as tmp:
        src = export_src(args.rev, Path(tmp) / "rev") if args.rev else None
        for run in range(1, args.runs + 1):
            for workload in args.workloads:
                for system in args.systems:
                    result = measure(system, workload, run, args, Path(tmp), src)
                    results.append(result)
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
