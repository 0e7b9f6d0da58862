"""Media transfer throughput: a 30 MB object up and down through the server, against a copy.

``python -m bench.media`` starts ``python -m openrtm serve`` (a process of its own, data on a
temporary directory of the disk under test), logs an SDK client in, and times, ``--runs``
times each, with the median reported:

- **upload**: ``create_media_message_by_uploading(path)`` of a 30 MB file of random bytes,
  from the request to the server's answer (streamed to a temporary file, fsynced, renamed,
  recorded);
- **download**: ``download_media_to_file(media_id, path)`` into a file on the same disk;
- **copy**: the same file copied with ``shutil.copyfile``, then fsynced: what the disk and the
  page cache allow without HTTP, Python's event loop or the store.

MB/s are 10^6 bytes per second. ``--docs`` writes the table into ``docs/benchmarks.md``
between the media markers (in the part of that file ``python -m bench`` keeps).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import openrtm
from bench.report import BEGIN_MEDIA, DOC, END_MEDIA, _git

__all__ = ["main"]

_APP_ID = "0123456789abcdef0123456789abcdef"
_URL = re.compile(rb"serving WebSocket (ws://\S+)")


def _copy(source: Path, target: Path) -> None:
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def measure(size: int, runs: int, workdir: Path) -> dict[str, list[float]]:
    """Seconds per run of each of upload, download and copy."""
    source = workdir / "source.bin"
    source.write_bytes(os.urandom(size))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "openrtm", "serve", "--port", "0", "--data", str(workdir / "data"),
        "--log-level", "WARNING", stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    assert proc.stdout is not None
    match = _URL.search(await asyncio.wait_for(proc.stdout.readline(), 30))
    if match is None:
        raise RuntimeError("the server did not start")
    client = openrtm.create_instance(_APP_ID, server=match.group(1).decode())
    times: dict[str, list[float]] = {"upload": [], "download": [], "copy": []}
    try:
        await client.login("bench")
        for i in range(runs):
            started = time.perf_counter()
            message = await client.create_media_message_by_uploading(source)
            times["upload"].append(time.perf_counter() - started)
            if message.media_id is None or message.size != size:
                raise RuntimeError(f"unexpected upload result: {message}")
            target = workdir / f"down{i}.bin"
            started = time.perf_counter()
            await client.download_media_to_file(message.media_id, target)
            times["download"].append(time.perf_counter() - started)
            if target.stat().st_size != size:
                raise RuntimeError("the download is short")
            target.unlink()
            copy = workdir / f"copy{i}.bin"
            started = time.perf_counter()
            await asyncio.to_thread(_copy, source, copy)
            times["copy"].append(time.perf_counter() - started)
            copy.unlink()
    finally:
        if client.connection_state != "DISCONNECTED":
            await client.logout()
        proc.send_signal(signal.SIGTERM)
        await proc.wait()
    return times


def table(size: int, times: dict[str, list[float]]) -> str:
    """The markdown table of a run: median MB/s and the range."""
    copy = statistics.median(times["copy"])
    rows = [
        "| transfer | median MB/s | range MB/s | ratio to the copy |",
        "|---|---|---|---|",
    ]
    labels = {
        "upload": "upload through the server",
        "download": "download through the server",
        "copy": "plain file copy + fsync",
    }
    for name, label in labels.items():
        rates = [size / t / 1e6 for t in times[name]]
        median = size / statistics.median(times[name]) / 1e6
        share = f"{copy / statistics.median(times[name]):.2f}"
        rows.append(f"| {label} | {median:,.0f} | {min(rates):,.0f}–{max(rates):,.0f} | {share} |")
    return "\n".join(rows)


def section(size: int, runs: int, times: dict[str, list[float]]) -> str:
    """The docs section, between its markers."""
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    commit = _git("rev-parse", "--short", "HEAD") or "?"
    return f"""{BEGIN_MEDIA}
## Media transfers

`python -m bench.media` ({date} UTC, commit `{commit}`): a {size / 1e6:.1f} MB file of random
bytes ({size:,} bytes, the 30 MB limit) uploaded and downloaded by the Python SDK through
`openrtm serve` on loopback, {runs} runs each, against a plain copy of the same file on the
same disk. Server and client share the machine's cores. An upload ends with the server's
fsync, as the copy does; a download ends when the client's file is written (no fsync). The
upload pays for the SDK reading the file and the server writing it, on one event loop each.

{table(size, times)}
{END_MEDIA}"""


def write_docs(text: str) -> None:
    """Put ``text`` in place of the media section of docs/benchmarks.md (or before Findings)."""
    doc = DOC.read_text()
    if BEGIN_MEDIA in doc and END_MEDIA in doc:
        start, end = doc.index(BEGIN_MEDIA), doc.index(END_MEDIA) + len(END_MEDIA)
        doc = doc[:start] + text + doc[end:]
    elif "\n## Findings\n" in doc:
        doc = doc.replace("\n## Findings\n", "\n" + text + "\n\n## Findings\n", 1)
    else:
        doc = doc.rstrip("\n") + "\n\n" + text + "\n"
    DOC.write_text(doc)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.media", description=__doc__)
    parser.add_argument("--size", type=int, default=30 * 1024 * 1024, help="bytes (30 MB)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, help="where to put the files (default: a temp dir)")
    parser.add_argument("--docs", action="store_true", help="write docs/benchmarks.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="openrtm-bench-media-") as tmp:
        times = asyncio.run(measure(args.size, args.runs, Path(tmp)))
    print(table(args.size, times))
    if args.docs:
        write_docs(section(args.size, args.runs, times))
        print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
