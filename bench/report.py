"""Turn raw results into tables, ``docs/benchmarks.md`` and ``docs/benchmarks.png``.

``python -m bench.report [RESULTS.json] [--docs]`` re-renders a saved run (default
``bench/results/latest.json``): the summary goes to stdout, and with ``--docs`` into the docs.

``docs/benchmarks.md`` has a generated part, rewritten on every write, and a hand-written part
after the ``END GENERATED`` marker (Findings, History), kept as it is; each write adds one row
to the History table.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["aggregate", "conditions", "disturbed", "one_line", "summary_table", "write_docs"]

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "benchmarks.md"
PLOT = REPO / "docs" / "benchmarks.png"
END_MARK = "<!-- END GENERATED: everything below is kept as it is by bench/report.py -->"
HISTORY_MARK = "<!-- bench/report.py adds a History row above this line -->"
# The media section (python -m bench.media --docs) lives in the kept part, between these.
BEGIN_MEDIA = "<!-- BEGIN MEDIA: rewritten by python -m bench.media --docs -->"
END_MEDIA = "<!-- END MEDIA -->"

SYSTEM_LABELS = {"openrtm": "openrtm", "relay": "bare picows relay", "socketio": "python-socketio"}
WORKLOAD_LABELS = {
    "fanout100": "fanout, 100 members",
    "fanout1000": "fanout, 1,000 members",
    "p2p": "p2p, 100 pairs",
    "conns": "conns, idle logged-in",
}
# A run whose load generator is this busy while the server is not may be load-generator-bound.
BUSY_PCT = 90.0
# A run during which other processes used more than this % of a core was disturbed.
OTHER_PCT = 10.0

Result = dict[str, Any]


# --- conditions ------------------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git(*args: str) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def conditions(args: argparse.Namespace, *, pinned: bool, rev: str | None) -> dict[str, Any]:
    """What the reader needs to reproduce (or distrust) the numbers."""
    if rev:
        commit = _git("rev-parse", "--short", rev) or rev
    else:
        commit = _git("rev-parse", "--short", "HEAD") or "unknown"
        if _git("status", "--porcelain", "--untracked-files=no", "src"):
            commit += " + uncommitted changes in src/"
    libs = ["picows", "msgspec", "uvloop", "python-socketio", "python-engineio", "aiohttp"]
    return {
        "commit": commit,
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "libs": {name: _version(name) for name in libs},
        "pinned": pinned,
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
        "runs": args.runs,
        "duration": args.duration,
        "warmup": args.warmup,
        "conns": args.conns,
        "window": args.window,
        "concurrency": args.concurrency,
        "quick": args.quick,
    }


def disturbed(r: Result) -> bool:
    """Whether other processes used the CPUs enough during the run to make it suspect."""
    return bool(r.get("other_cpu_pct", 0) > OTHER_PCT)


# --- aggregation -----------------------------------------------------------------------------


def _median(values: list[float]) -> float:
    values = [v for v in values if not math.isnan(v)]
    return statistics.median(values) if values else float("nan")


def aggregate(results: list[Result]) -> dict[tuple[str, str], dict[str, Any]]:
    """(workload, system) → medians and ranges over the successful runs."""
    groups: dict[tuple[str, str], list[Result]] = {}
    for r in results:
        groups.setdefault((r["workload"], r["system"]), []).append(r)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for key, runs in groups.items():
        ok = [r for r in runs if r.get("ok")]
        agg: dict[str, Any] = {"runs": len(runs), "ok": len(ok)}
        if ok:
            tput = [r["throughput"] for r in ok]
            agg.update(throughput=_median(tput), min=min(tput), max=max(tput), unit=ok[0]["unit"])
            for field in (
                "p50_us",
                "p99_us",
                "server_cpu_pct",
                "server_us_per_op",
                "loadgen_cpu_pct",
                "rss_per_conn",
            ):
                if field in ok[0]:
                    agg[field] = _median([r[field] for r in ok])
            problems = sum(
                r.get("lost", 0) + r.get("errors", 0) + r.get("dropped", 0) for r in ok
            ) + sum(r.get("not_received", 0) + r.get("unanswered", 0) for r in ok)
            agg["problems"] = problems
            agg["disturbed"] = sum(disturbed(r) for r in ok)
            agg["loadgen_bound"] = any(
                r["loadgen_cpu_pct"] >= BUSY_PCT and r["server_cpu_pct"] < BUSY_PCT for r in ok
            )
            agg["loadgen_busy"] = any(
                r["loadgen_cpu_pct"] >= BUSY_PCT and r["server_cpu_pct"] >= BUSY_PCT for r in ok
            )
        out[key] = agg
    return out


def _fmt_num(x: float) -> str:
    if math.isnan(x):
        return "–"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _fmt_range(a: dict[str, Any]) -> str:
    if a["ok"] > 1:
        return f"{_fmt_num(a['throughput'])} ({_fmt_num(a['min'])}–{_fmt_num(a['max'])})"
    return _fmt_num(a["throughput"])


def _fmt_us(x: float | None) -> str:
    if x is None or math.isnan(x):
        return "–"
    return f"{x / 1000:.1f} ms" if x >= 1000 else f"{x:.0f} µs"


def _ratio(
    aggs: dict[tuple[str, str], dict[str, Any]], workload: str, other: str, field: str
) -> str:
    a, b = aggs.get((workload, "openrtm")), aggs.get((workload, other))
    if not a or not b or not a["ok"] or not b["ok"] or field not in a or field not in b:
        return "–"
    if not b[field] or math.isnan(a[field]) or math.isnan(b[field]):
        return "–"
    return f"{a[field] / b[field]:.2f}"


# --- text output -----------------------------------------------------------------------------


def one_line(r: Result) -> str:
    """A progress line for one run."""
    head = f"{r['workload']:<10} {r['system']:<8} run {r['run']}: "
    if not r.get("ok"):
        return head + "FAILED " + str(r.get("error"))
    text = f"{r['throughput']:>10,.0f} {r['unit']}"
    if "p99_us" in r:
        text += f"  p50 {_fmt_us(r['p50_us'])}  p99 {_fmt_us(r['p99_us'])}"
    if "rss_per_conn" in r:
        text += f"  RSS {r['rss_per_conn'] / 1024:.1f} KiB/conn"
    text += (
        f"  server {r['server_cpu_pct']:.0f}% CPU, {r['server_us_per_op']:.2f} µs/op"
        f"  loadgen {r['loadgen_cpu_pct']:.0f}% CPU"
    )
    if disturbed(r):
        text += f"  DISTURBED: other processes used {r['other_cpu_pct']:.0f}% CPU"
    for field in ("lost", "errors", "dropped", "not_received", "unanswered", "listen_overflows"):
        if r.get(field):
            text += f"  {field}={r[field]}"
    return head + text


def results_table(data: dict[str, Any]) -> str:
    """The main Markdown table: one row per workload and system."""
    aggs = aggregate(data["results"])
    rows = [
        "| workload | system | throughput: median (min–max) | p50 | p99 | server CPU "
        "| server CPU µs per op | load generator CPU | RSS per conn |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    workloads = list(dict.fromkeys(r["workload"] for r in data["results"]))
    systems = list(dict.fromkeys(r["system"] for r in data["results"]))
    for w in workloads:
        for s in systems:
            a = aggs.get((w, s))
            if a is None:
                continue
            label = f"{WORKLOAD_LABELS.get(w, w)} | {SYSTEM_LABELS.get(s, s)}"
            if not a["ok"]:
                rows.append(f"| {label} | failed ({a['runs']} runs) | | | | | | |")
                continue
            flags = []
            if a["ok"] < a["runs"]:
                flags.append(f"{a['runs'] - a['ok']} of {a['runs']} runs failed")
            if a["problems"]:
                flags.append(f"{a['problems']} lost/refused/unanswered")
            if a["loadgen_bound"]:
                flags.append("load-generator-bound")
            elif a["loadgen_busy"]:
                flags.append("load generator near its limit")
            if a["disturbed"]:
                flags.append(f"{a['disturbed']} run(s) disturbed by other processes")
            tput = f"{_fmt_range(a)} {a['unit']}" + (f" ({'; '.join(flags)})" if flags else "")
            rss = f"{a['rss_per_conn'] / 1024:.1f} KiB" if "rss_per_conn" in a else "–"
            rows.append(
                f"| {label} | {tput} | {_fmt_us(a.get('p50_us'))} | {_fmt_us(a.get('p99_us'))}"
                f" | {a['server_cpu_pct']:.0f}% | {a['server_us_per_op']:.2f}"
                f" | {a['loadgen_cpu_pct']:.0f}% | {rss} |"
            )
    return "\n".join(rows)


def ratios_table(data: dict[str, Any]) -> str:
    aggs = aggregate(data["results"])
    rows = [
        "| workload | throughput openrtm / relay | openrtm / python-socketio "
        "| server CPU per op, openrtm / relay | openrtm / python-socketio |",
        "|---|---|---|---|---|",
    ]
    for w in dict.fromkeys(r["workload"] for r in data["results"]):
        rows.append(
            f"| {WORKLOAD_LABELS.get(w, w)} | {_ratio(aggs, w, 'relay', 'throughput')}"
            f" | {_ratio(aggs, w, 'socketio', 'throughput')}"
            f" | {_ratio(aggs, w, 'relay', 'server_us_per_op')}"
            f" | {_ratio(aggs, w, 'socketio', 'server_us_per_op')} |"
        )
    return "\n".join(rows)


def summary_table(data: dict[str, Any]) -> str:
    return results_table(data) + "\n\n" + ratios_table(data)


def per_run_table(data: dict[str, Any]) -> str:
    rows = [
        "| workload | system | run | throughput | p50 | p99 | server CPU | µs/op | loadgen CPU "
        "| other processes' CPU | notes |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in data["results"]:
        head = f"| {r['workload']} | {r['system']} | {r['run']} |"
        if not r.get("ok"):
            rows.append(f"{head} failed: {str(r.get('error'))[:120]} | | | | | | | |")
            continue
        other = []
        if "rss_per_conn" in r:
            other.append(f"RSS {r['rss_per_conn'] / 1024:.1f} KiB/conn")
        for field in (
            "lost",
            "errors",
            "dropped",
            "not_received",
            "unanswered",
            "listen_overflows",
        ):
            if r.get(field):
                other.append(f"{field} {r[field]}")
        rows.append(
            f"{head} {r['throughput']:,.0f} | {_fmt_us(r.get('p50_us'))}"
            f" | {_fmt_us(r.get('p99_us'))} | {r['server_cpu_pct']:.0f}%"
            f" | {r['server_us_per_op']:.2f} | {r['loadgen_cpu_pct']:.0f}%"
            f" | {r.get('other_cpu_pct', float('nan')):.0f}% | {', '.join(other)} |"
        )
    return "\n".join(rows)


# --- the plot --------------------------------------------------------------------------------


def plot(data: dict[str, Any], path: Path) -> None:
    """Throughput (top) and p99 latency or RSS per connection (bottom) per workload."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    def si(value: float, _pos: object = None) -> str:
        for scale, suffix in ((1e6, "M"), (1e3, "k")):
            if abs(value) >= scale:
                return f"{value / scale:g}{suffix}"
        return f"{value:g}"

    aggs = aggregate(data["results"])
    workloads = list(dict.fromkeys(r["workload"] for r in data["results"]))
    systems = list(dict.fromkeys(r["system"] for r in data["results"]))
    colors = {"openrtm": "#2b6cb0", "relay": "#718096", "socketio": "#dd6b20"}
    fig, axes = plt.subplots(2, len(workloads), figsize=(3.6 * len(workloads), 6.4), squeeze=False)
    for col, w in enumerate(workloads):
        top, bottom = axes[0][col], axes[1][col]
        present = [s for s in systems if aggs.get((w, s), {}).get("ok")]
        labels = [SYSTEM_LABELS.get(s, s).replace(" ", "\n", 1) for s in present]
        xs = range(len(present))
        tput = [aggs[(w, s)]["throughput"] for s in present]
        err = [
            [t - aggs[(w, s)]["min"] for t, s in zip(tput, present, strict=True)],
            [aggs[(w, s)]["max"] - t for t, s in zip(tput, present, strict=True)],
        ]
        c = [colors.get(s, "#4a5568") for s in present]
        top.bar(xs, tput, yerr=err, color=c, capsize=4)
        top.set_title(WORKLOAD_LABELS.get(w, w), fontsize=10)
        top.set_ylabel(aggs[(w, present[0])]["unit"] if present else "")
        top.set_xticks(list(xs), labels, fontsize=8)
        top.yaxis.set_major_formatter(FuncFormatter(si))
        if w == "conns":
            vals = [aggs[(w, s)].get("rss_per_conn", float("nan")) / 1024 for s in present]
            bottom.bar(xs, vals, color=c)
            bottom.set_ylabel("server RSS per connection (KiB)")
        else:
            vals = [aggs[(w, s)].get("p99_us", float("nan")) / 1000 for s in present]
            bottom.bar(xs, vals, color=c)
            bottom.set_ylabel("p99 latency (ms)")
        bottom.set_xticks(list(xs), labels, fontsize=8)
        for ax in (top, bottom):
            ax.grid(axis="y", alpha=0.3)
            ax.set_axisbelow(True)
    meta = data["meta"]
    fig.suptitle(
        f"openrtm {meta['commit']} — median of {meta['runs']} runs, bars = min–max; "
        f"server on one core of {meta['cpu']}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- docs/benchmarks.md ----------------------------------------------------------------------


def _conditions_md(data: dict[str, Any]) -> str:
    m = data["meta"]
    libs = ", ".join(f"{k} {v}" for k, v in m["libs"].items())
    pin = (
        "server pinned to CPU 0, load generator to CPU 1 (`taskset -c`)"
        if m["pinned"]
        else "**not pinned** (fewer than 2 CPUs or no taskset): numbers are less comparable"
    )
    window = m["window"] or "auto: max(4, 8000 / members) messages"
    return "\n".join(
        [
            f"- Date: {data['started']} (UTC); openrtm commit `{m['commit']}`.",
            f"- Machine: {m['cores']} × {m['cpu']}; Linux {m['kernel']}; Python {m['python']}; "
            f"load average at start {' '.join(m.get('loadavg', []))}.",
            f"- Libraries: {libs}.",
            f"- Pinning: {pin}.",
            f"- Each number: median over {m['runs']} runs (min–max in parentheses); each run "
            f"starts a fresh server, loads it for {m['warmup']} s, then measures "
            f"{m['duration']} s.",
            "- fanout: one room of N receiving members plus one publisher of 64-byte messages, "
            f"in-flight window {window}; latency = publish → delivery, measured at 16 members "
            "spread over the room, for every message.",
            "- p2p: 100 sender/receiver pairs, one message in flight per pair; each sender "
            "waits for the end-to-end receipt (openrtm: `has_peer_received`; socket.io: the "
            "ack of an emit-with-ack that the server only sends after the receiver's ack; "
            "relay: the receiver's ack frame) before the next; latency = round trip.",
            f"- conns: {m['conns']:,} connections opened, {m.get('concurrency', 50)} at a time "
            "(connect + upgrade + login + reply) by a minimal client (`bench/rawclient.py`, "
            "which answers pings); openrtm with an App Certificate, so every login verifies an "
            "AccessToken2 (tokens are built before the timed phase); socket.io: the namespace "
            "connect with a uid; relay: the upgrade alone. RSS = the server's VmRSS after "
            "100 warm-up connections vs. 2 s after the last login, divided by the count.",
            "- openrtm runs as shipped (`python -m openrtm serve`, INFO logging to a file) with "
            "a config that raises the message budget of spec §5.4 (180 per 3 s) to 100,000 "
            "per second, which a publisher and senders at full speed would exceed; nothing "
            "else is changed.",
            "- python-socketio: `AsyncServer(async_mode='aiohttp', transports=['websocket'])` "
            "on aiohttp with uvloop, default settings (`bench/servers/socketio_server.py`).",
            "- Bare relay: picows + uvloop with picows' default TCP transport (aiofastnet's, "
            "where openrtm uses uvloop's own: see Findings), routes each frame by its first "
            "word, writes frame by frame with `transport.send` (`bench/servers/relay.py`).",
            "- Server CPU = utime + stime from `/proc/PID/stat` over the measured window; "
            "load generator CPU = its own `os.times()`; both as % of one core. Server CPU µs "
            "per op = server CPU time / deliveries (fanout), round trips (p2p) or logins "
            "(conns).",
        ]
    )


def render_generated(data: dict[str, Any]) -> str:
    return f"""# Benchmarks

Generated by `python -m bench` (design §6; the harness is in `bench/`). Quote ratios from one
run; absolute numbers drift from machine to machine.

## How to run

```sh
pip install -e '.[bench]'
python -m bench            # full: 3 runs of every workload and system; rewrites this file
python -m bench --quick    # smoke test: 1 short run of each, 2,000 conns; never writes docs/
python -m bench --systems openrtm --workloads fanout1000 --runs 1  # one workload, one system
python -m bench.report --docs   # re-render this file from bench/results/latest.json
python -m bench.hotpath         # the pure-Python cost of a p2p round trip, no sockets
python -m bench.instructions    # instructions per p2p round trip of the live server (valgrind)
python -m bench.media           # 30 MB upload and download through the server vs a file copy
```

`--rev REV` measures openrtm as of a commit (exported with `git archive`, so uncommitted work in
`src/` is left out; by default the working tree is measured, and the Conditions say so).
`--duration`, `--warmup`, `--conns`, `--concurrency`, `--window`, `--retries` and `--note` (a
remark for the History row) are in `python -m bench --help`. Raw results of every run are saved
in `bench/results/` (ignored by git). `bench.hotpath` drives two sessions of one node through
`Session.on_frame` on a transport that drops what is written: decode, validation, the message
budget, routing, the receipt and the encodes, without the gateway and the kernel; `--profile`
adds cProfile's top functions. It is the quick check of a change to the hot path.
`bench.instructions` runs the real server under valgrind's callgrind with the load generator
against it, for 5 and for 20 seconds, and divides the difference of the instruction counts by
the difference of the operations: the user-space cost of one operation (`--workload`,
`--systems openrtm,relay`, `--rev`; `--keep DIR` keeps callgrind's profiles for
`callgrind_annotate`), the same in every run on a machine whose speed drifts by ±10 % from one
server process to the next. The kernel's work is not in it.

## Conditions

{_conditions_md(data)}

## Results

{results_table(data)}

"Load-generator-bound" marks a result where, in at least one run, the load generator used
≥ {BUSY_PCT:.0f}% of its core while the server used less: the server could have done more, so
that throughput is a floor. "Load generator near its limit": both were that busy. "Server CPU
µs per op" does not depend on who was the bottleneck, and is the fairer comparison for such
rows. Latency is measured at full load with a fixed window of messages in flight, so by
Little's law it is mostly that window divided by the throughput: compare it between systems,
not with an idle server's.

## Ratios

{ratios_table(data)}

Throughput ratios above 1 favour openrtm; CPU-per-op ratios below 1 favour openrtm.

![Throughput and p99 latency per system and workload](benchmarks.png)

<details><summary>Every run</summary>

{per_run_table(data)}

</details>

"""


_DEFAULT_TAIL = f"""{END_MARK}

{BEGIN_MEDIA}
## Media transfers

Upload and download throughput of a 30 MB object through the server against a plain file copy
on the same disk: run `python -m bench.media --docs` to fill this section.
{END_MEDIA}

## Findings

## History

One row per run written to this file, newest last: the ratios that issue #7 sets targets for.

| date (UTC) | commit | fanout 1,000: openrtm / relay | p2p: openrtm / relay \
| openrtm logins/s | openrtm RSS per conn | note |
|---|---|---|---|---|---|---|
{HISTORY_MARK}
"""


def history_row(data: dict[str, Any], note: str) -> str:
    aggs = aggregate(data["results"])
    conns = aggs.get(("conns", "openrtm"), {})
    logins = _fmt_num(conns["throughput"]) if conns.get("ok") else "–"
    rss = f"{conns['rss_per_conn'] / 1024:.1f} KiB" if conns.get("ok") else "–"
    date = data["started"][:16].replace("T", " ")
    fanout = _ratio(aggs, "fanout1000", "relay", "throughput")
    p2p = _ratio(aggs, "p2p", "relay", "throughput")
    commit = data["meta"]["commit"]
    return f"| {date} | `{commit}` | {fanout} | {p2p} | {logins} | {rss} | {note} |"


def write_docs(data: dict[str, Any], note: str = "") -> None:
    """Rewrite the generated part of docs/benchmarks.md, keep the rest, add a History row."""
    tail = _DEFAULT_TAIL
    if DOC.exists():
        text = DOC.read_text()
        if END_MARK in text:
            tail = text[text.index(END_MARK) :]
    row = history_row(data, note)
    prefix = row[: row.index("` |") + 3]  # date and commit: the same run rendered again
    lines = tail.split("\n")
    same = [i for i, line in enumerate(lines) if line.startswith(prefix)]
    if same:
        old_note = lines[same[0]].rsplit("|", 2)[-2].strip()
        lines[same[0]] = history_row(data, note or old_note)
        tail = "\n".join(lines)
    elif HISTORY_MARK in tail:
        tail = tail.replace(HISTORY_MARK, row + "\n" + HISTORY_MARK, 1)
    else:
        tail = tail.rstrip("\n") + "\n" + row + "\n"
    DOC.write_text(render_generated(data) + tail)
    plot(data, PLOT)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.report", description=__doc__)
    p.add_argument("results", nargs="?", default=str(REPO / "bench" / "results" / "latest.json"))
    p.add_argument("--docs", action="store_true", help="write docs/benchmarks.md and .png")
    p.add_argument("--note", default="", help="a note for the History row")
    args = p.parse_args(argv)
    data = json.loads(Path(args.results).read_text())
    print(summary_table(data))
    if args.docs:
        write_docs(data, note=args.note)
        print(f"\nwrote {DOC.relative_to(REPO)} and {PLOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
