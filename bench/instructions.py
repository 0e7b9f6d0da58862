"""Instructions per operation of a live server under load, counted by valgrind's callgrind.

Time on a shared virtual machine drifts by ±10 % between two runs of the same server, which
hides a change worth 2 %. An instruction count does not drift: callgrind counts what the
server's own code (Python, C extensions, libc; not the kernel) executes, whatever else the
machine does. The server runs under callgrind pinned to CPU 0 (about 50 times slower) with the
usual load generator on CPU 1, once for ``--short`` and once for ``--long`` seconds of load;
the difference of the two counts over the difference of the operations is the cost of one
operation, start-up and shut-down cancelled out. docs/benchmarks.md quotes it before and
after each change to the hot path; the kernel's share (about half of a p2p round trip) is not
in it, so it says which change saves work, and ``python -m bench`` says what that is worth.

Usage::

    python -m bench.instructions                          # openrtm, p2p
    python -m bench.instructions --systems openrtm,relay  # and the bare relay
    python -m bench.instructions --rev HEAD~3             # openrtm as of a git revision
    python -m bench.instructions --keep /tmp/cg           # and keep callgrind's profiles

A kept profile (of the longer run, start-up included) says where the instructions go:
``callgrind_annotate --inclusive=yes --tree=both /tmp/cg/openrtm-p2p.callgrind`` lists each C
function with its callers and callees (Python functions all show as the interpreter's eval
loop; look at what it calls: attribute lookups, msgspec, picows, uvloop).
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
import tempfile
from pathlib import Path

from bench.run import SERVER_CPU, WORKLOADS, export_src, run_loadgen
from bench.systems import start_server

_COLLECTED = re.compile(rb"Collected : (\d+)")
# A fixed hash seed: string hashing, and so dict layouts and their probes, alike in every run.
_ENV = {"PYTHONHASHSEED": "0"}


def count(
    system: str, workload: str, seconds: float, tmp: Path, src: Path | None, keep: Path | None
) -> tuple[int, int]:
    """Run ``workload`` for ``seconds`` against ``system`` under callgrind: (operations, Ir).

    ``keep``: where to copy callgrind's profile to, as ``SYSTEM-WORKLOAD.callgrind``.
    """
    workdir = Path(tempfile.mkdtemp(dir=tmp))
    profile = workdir / "callgrind.out"
    wrapper = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={profile}"]
    server = start_server(
        system, workdir, cpu=SERVER_CPU, src=src, timeout=180, wrapper=wrapper, env=_ENV
    )
    try:
        options = ["--duration", str(seconds), "--warmup", "0"]
        result = run_loadgen(system, workload, server, options, 300 + seconds, src)
        if not result.get("ok"):
            raise RuntimeError(f"load generator failed: {result}")
    finally:
        server.stop(timeout=120)  # callgrind writes its counts at exit
    found = _COLLECTED.search(server.log.read_bytes())
    if found is None:
        raise RuntimeError(f"no instruction count in the server's log:\n{server.log_tail()}")
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(profile, keep / f"{system}-{workload}.callgrind")
    return int(result["operations"]), int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--systems", default="openrtm", help="comma-separated: openrtm,relay")
    p.add_argument("--workload", default="p2p", choices=sorted(WORKLOADS))
    p.add_argument("--short", type=float, default=5.0, help="seconds of load, first run")
    p.add_argument("--long", type=float, default=20.0, help="seconds of load, second run")
    p.add_argument("--rev", help="count openrtm as of this git revision (default: the tree)")
    p.add_argument("--keep", type=Path, help="a directory to keep callgrind's profiles in")
    args = p.parse_args(argv)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (Debian: apt install valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="openrtm-instructions-") as name:
        tmp = Path(name)
        src = export_src(args.rev, tmp / "rev") if args.rev else None
        for system in args.systems.split(","):
            ops_a, ir_a = count(system, args.workload, args.short, tmp, src, None)
            ops_b, ir_b = count(system, args.workload, args.long, tmp, src, args.keep)
            if ops_b <= ops_a:
                raise RuntimeError(f"{system}: the longer run did no more operations")
            per_op = (ir_b - ir_a) / (ops_b - ops_a)
            print(
                f"{system:8} {args.workload}: {per_op:,.0f} instructions per operation "
                f"({ops_a:,} and {ops_b:,} operations)",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
